import {ConflictError, NotFoundError, UsageError} from '../../errors.js'
import {
  environmentDnsName,
  trafficModeFor,
  trafficRegions,
  type EnvironmentTraffic,
  type RegionEntryPoint,
  type RegionHealthCheck,
  type TrafficDescription,
  type TrafficTarget,
} from '../../traffic-dns/environment-traffic.js'
import {describeRegions} from '../../traffic-dns/regions-view.js'
import {initialTrafficState, restoreState, switchActiveState, withdrawState, type TrafficState} from '../../traffic-dns/traffic-state.js'
import {type ResourceRecordSet, createCloudDnsClient, googleAuthorizedRequest} from './cloud-dns.js'
import {desiredTrafficRecords, fqdn, planTrafficChange, servingRegions, stateFromTrafficRecords, stateRecordName} from './cloud-dns-records.js'
import type {AuthorizedRequest} from './compute.js'
import {resolveProject} from './names.js'

export interface CloudDnsTrafficOptions {
  /** An authorized HTTP exchange (default: Application Default Credentials). */
  request?: AuthorizedRequest
  /** Base URL of the Cloud DNS v1 API (tests: the fake). */
  endpoint?: string
  pollIntervalMs?: number
  timeoutMs?: number
  processEnv?: NodeJS.ProcessEnv
}

/**
 * The gcp traffic layer: the environment's DNS name in the user's Cloud DNS zone (`dns.zone`,
 * found by its DNS name; mygate never creates or deletes it), written as cloud-dns-records.ts
 * describes. Every move reads the record sets first and writes one atomic change
 * (`changes.create` with the sets deleted exactly as read and their replacements), and waits until
 * Cloud DNS reports it done; a move that changes nothing sends nothing.
 */
export async function openCloudDnsTraffic(target: TrafficTarget, options: CloudDnsTrafficOptions = {}): Promise<EnvironmentTraffic> {
  const {spec} = target
  const project = resolveProject(spec, options.processEnv ?? process.env)
  const auth = options.request ? {request: options.request, close: async () => undefined} : await googleAuthorizedRequest()
  const dns = createCloudDnsClient({request: auth.request, project, endpoint: options.endpoint, pollIntervalMs: options.pollIntervalMs, timeoutMs: options.timeoutMs})
  const name = environmentDnsName(spec) as string
  const zoneName = spec.dns?.zone as string
  const regions = trafficRegions(spec)
  const mode = trafficModeFor(spec)

  let zone: string | undefined
  const managedZone = async (): Promise<string> => {
    if (zone) return zone
    const found = (await dns.listZones(fqdn(zoneName))).filter((z) => z.visibility !== 'private')
    if (found.length === 0) {
      throw new NotFoundError(`public Cloud DNS zone ${zoneName} not found in project ${project}`, {
        hint: `create it (mygate never creates or deletes your zone), or fix dns.zone of ${spec.name} in mygate.yaml`,
      })
    }
    if (found.length > 1) {
      throw new ConflictError(`project ${project} has ${found.length} public Cloud DNS zones for ${zoneName} (${found.map((z) => z.name).join(', ')})`, {
        hint: 'keep one zone per DNS name in the project',
      })
    }
    zone = found[0].name
    return zone
  }

  const existing = async (): Promise<ResourceRecordSet[]> => {
    const z = await managedZone()
    const [answers, states] = await Promise.all([dns.listRecords(z, fqdn(name)), dns.listRecords(z, stateRecordName(name))])
    return [...answers, ...states]
  }

  const write = async (state: TrafficState, endpoints: Record<string, string>, current: ResourceRecordSet[]) => {
    for (const r of state.regions) {
      if (!endpoints[r.region]) throw new UsageError(`region ${r.region} has no entry point in Cloud DNS yet`, {hint: `run \`mygate env create ${spec.name}\` to create its records`})
    }
    const change = planTrafficChange(name, desiredTrafficRecords(name, state, endpoints), current)
    await dns.change(await managedZone(), change)
  }

  const current = async () => {
    const records = await existing()
    const read = stateFromTrafficRecords(name, regions, records)
    if (!read) throw new NotFoundError(`no Cloud DNS records for ${name}`, {hint: `create them with \`mygate env create ${spec.name}\``})
    return {...read, records}
  }

  const move = async (next: (state: TrafficState) => TrafficState) => {
    const {state, endpoints, records} = await current()
    await write(next(state), endpoints, records)
  }

  const describe = async (): Promise<TrafficDescription> => {
    const {state, endpoints} = await current()
    return describeRegions({name, state, active: servingRegions(state), endpointOf: (region) => endpoints[region]})
  }

  return {
    name,
    describe,
    switchActive: (region) => move((state) => switchActiveState(state, region)),
    withdraw: (region) => move((state) => withdrawState(state, region)),
    restore: (region) => move((state) => restoreState(state, region)),
    async ensureRecords(entries: RegionEntryPoint[]) {
      const records = await existing()
      const previous = stateFromTrafficRecords(name, regions, records)
      const endpoints: Record<string, string> = {...previous?.endpoints}
      for (const entry of entries) {
        if (entry.endpoint) endpoints[entry.region] = entry.endpoint
        else if (!endpoints[entry.region]) {
          throw new UsageError(`region ${entry.region} has no entry point address for Cloud DNS`, {hint: 'wait for its Ingress to get a load-balancer address, then re-run `mygate env create`'})
        }
      }
      // A re-run keeps the active region, withdrawals and weights of the records.
      const state = previous && previous.state.mode === mode ? previous.state : initialTrafficState({regions, activeRegion: target.activeRegion, mode})
      await write(state, endpoints, records)
      return describe()
    },
    async removeRecords() {
      let records: ResourceRecordSet[]
      try {
        records = await existing()
      } catch (error) {
        if (error instanceof NotFoundError) return []
        throw error
      }
      const mine = planTrafficChange(name, [], records).deletions
      await dns.change(await managedZone(), {deletions: mine})
      return mine.map((r) => `Cloud DNS record ${r.name} ${r.type}`)
    },
    // No Cloud DNS health checks yet (cloud-dns-records.ts): nothing decides health by itself.
    healthChecksFor: async (): Promise<RegionHealthCheck[]> => [],
    close: auth.close,
  }
}
