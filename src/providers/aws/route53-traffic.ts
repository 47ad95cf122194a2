import {createHash} from 'node:crypto'

import type {Route53Client} from '@aws-sdk/client-route-53'

import {NotFoundError, TimeoutError, UsageError} from '../../errors.js'
import {answeringRegions} from '../../local-cluster/dns/record-set.js'
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
import {DEFAULT_MAX_ATTEMPTS, type AwsClientConfig} from './clients.js'
import {awsFailure, isAwsError, isMissingCredentials, noCredentialsError} from './errors.js'
import {fqdn, planRecordChanges, stateFromRecords, type CnameRecord, type RegionTarget} from './route53-records.js'
import {silenceNodeVersionWarning} from './sdk-warning.js'

type Route53Module = typeof import('@aws-sdk/client-route-53')

export interface Route53TrafficOptions {
  config?: AwsClientConfig
  /** How long to wait for a change to be INSYNC (default 5 minutes; Route 53 usually takes under 60 s). */
  syncTimeoutMs?: number
  /** The gateway's health path for new health checks (default /ready, the gateway's readiness path). */
  healthPath?: string
}

/** Tags that tie a health check to an environment's name and region (and mark a withdrawal). */
const TAG_NAME = 'mygate.dev/dns-name'
const TAG_REGION = 'mygate.dev/region'
const TAG_WITHDRAWN = 'mygate.dev/withdrawn'

interface HealthCheckInfo {
  id: string
  region: string
  endpoint: string
  path: string
  withdrawn: boolean
}

/**
 * The aws traffic layer: Route 53 health checks per region entry point (HTTPS on the gateway's
 * health path) and health-checked failover (or weighted) CNAME records in the user's hosted zone.
 * Route 53's control plane lives in us-east-1; its data plane (answers, health checks) runs
 * everywhere, so the records move traffic by health alone when the control plane is unreachable.
 * A switchover changes the records explicitly and waits until the change is INSYNC.
 */
export async function openRoute53Traffic(target: TrafficTarget, options: Route53TrafficOptions = {}): Promise<EnvironmentTraffic> {
  silenceNodeVersionWarning()
  const sdk: Route53Module = await import('@aws-sdk/client-route-53')
  // Route 53 is a global service signed in us-east-1.
  const client: Route53Client = new sdk.Route53Client({maxAttempts: DEFAULT_MAX_ATTEMPTS, ...options.config, region: 'us-east-1'})
  const {spec} = target
  const name = environmentDnsName(spec) as string
  const zoneName = spec.dns?.zone as string
  const regions = trafficRegions(spec)
  const mode = trafficModeFor(spec)
  const healthPath = options.healthPath ?? '/ready'

  const call = async <T>(action: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run()
    } catch (error) {
      if (isMissingCredentials(error)) throw noCredentialsError(error)
      throw awsFailure(`Route 53 ${action}`, error)
    }
  }

  let zoneId: string | undefined
  const hostedZone = async (): Promise<string> => {
    if (zoneId) return zoneId
    const found = await call('ListHostedZonesByName', () => client.send(new sdk.ListHostedZonesByNameCommand({DNSName: zoneName, MaxItems: 1})))
    const zone = found.HostedZones?.find((z) => z.Name === fqdn(zoneName) && !z.Config?.PrivateZone)
    if (!zone?.Id) {
      throw new NotFoundError(`public hosted zone ${zoneName} not found in Route 53`, {hint: `create it (mygate never creates or deletes your zone), or fix dns.zone of ${spec.name} in mygate.yaml`})
    }
    zoneId = zone.Id.replace('/hostedzone/', '')
    return zoneId
  }

  const records = async (): Promise<CnameRecord[]> => {
    const listed = await call('ListResourceRecordSets', async () =>
      client.send(new sdk.ListResourceRecordSetsCommand({HostedZoneId: await hostedZone(), StartRecordName: fqdn(name), StartRecordType: 'CNAME', MaxItems: 10})),
    )
    return (listed.ResourceRecordSets ?? []).filter((r) => r.Name === fqdn(name) && r.Type === 'CNAME') as unknown as CnameRecord[]
  }

  const healthChecks = async (): Promise<Map<string, HealthCheckInfo>> => {
    const all: Array<{Id?: string; HealthCheckConfig?: {FullyQualifiedDomainName?: string; ResourcePath?: string}}> = []
    let marker: string | undefined
    do {
      const page = await call('ListHealthChecks', () => client.send(new sdk.ListHealthChecksCommand({Marker: marker})))
      all.push(...(page.HealthChecks ?? []))
      marker = page.IsTruncated ? page.NextMarker : undefined
    } while (marker)
    const found = new Map<string, HealthCheckInfo>()
    for (let i = 0; i < all.length; i += 10) {
      const batch = all.slice(i, i + 10).map((h) => h.Id as string)
      const tags = await call('ListTagsForResources', () => client.send(new sdk.ListTagsForResourcesCommand({ResourceType: 'healthcheck', ResourceIds: batch})))
      for (const set of tags.ResourceTagSets ?? []) {
        const tag = (key: string) => set.Tags?.find((t) => t.Key === key)?.Value
        const region = tag(TAG_REGION)
        if (tag(TAG_NAME) !== name || !region) continue
        const check = all.find((h) => h.Id === set.ResourceId)
        found.set(region, {
          id: set.ResourceId as string,
          region,
          endpoint: check?.HealthCheckConfig?.FullyQualifiedDomainName ?? '',
          path: check?.HealthCheckConfig?.ResourcePath ?? '',
          withdrawn: tag(TAG_WITHDRAWN) === 'true',
        })
      }
    }
    return found
  }

  const createHealthCheck = async (region: string, endpoint: string, path: string): Promise<HealthCheckInfo> => {
    // Same settings, same reference: a retried create returns the existing check instead of a second one.
    const reference = createHash('sha256').update(`${name}|${region}|${endpoint}|${path}`).digest('hex').slice(0, 40)
    const created = await call('CreateHealthCheck', () =>
      client.send(
        new sdk.CreateHealthCheckCommand({
          CallerReference: reference,
          HealthCheckConfig: {Type: 'HTTPS', FullyQualifiedDomainName: endpoint, Port: 443, ResourcePath: path, RequestInterval: 10, FailureThreshold: 3, EnableSNI: true},
        }),
      ),
    )
    const id = created.HealthCheck?.Id as string
    await call('ChangeTagsForResource', () =>
      client.send(
        new sdk.ChangeTagsForResourceCommand({
          ResourceType: 'healthcheck',
          ResourceId: id,
          AddTags: [
            {Key: 'Name', Value: `${name} ${region}`},
            {Key: TAG_NAME, Value: name},
            {Key: TAG_REGION, Value: region},
          ],
        }),
      ),
    )
    return {id, region, endpoint, path, withdrawn: false}
  }

  const markWithdrawn = async (check: HealthCheckInfo, withdrawn: boolean) => {
    if (check.withdrawn === withdrawn) return
    await call('ChangeTagsForResource', () =>
      client.send(
        new sdk.ChangeTagsForResourceCommand(
          withdrawn
            ? {ResourceType: 'healthcheck', ResourceId: check.id, AddTags: [{Key: TAG_WITHDRAWN, Value: 'true'}]}
            : {ResourceType: 'healthcheck', ResourceId: check.id, RemoveTagKeys: [TAG_WITHDRAWN]},
        ),
      ),
    )
  }

  const waitInSync = async (changeId: string | undefined) => {
    if (!changeId) return
    const deadline = Date.now() + (options.syncTimeoutMs ?? 300_000)
    for (;;) {
      const change = await call('GetChange', () => client.send(new sdk.GetChangeCommand({Id: changeId})))
      if (change.ChangeInfo?.Status === 'INSYNC') return
      if (Date.now() >= deadline) throw new TimeoutError(`Route 53 change ${changeId} is not INSYNC after ${Math.round((options.syncTimeoutMs ?? 300_000) / 1000)}s`, {hint: 'see `aws route53 get-change --id ' + changeId + '`'})
      await new Promise((resolve) => setTimeout(resolve, 2000))
    }
  }

  /** Writes a state as records (one atomic batch) and waits for INSYNC; tags mark withdrawals. */
  const apply = async (state: TrafficState, checks: Map<string, HealthCheckInfo>, existing: CnameRecord[]) => {
    const targets: Record<string, RegionTarget> = {}
    for (const [region, check] of checks) targets[region] = {endpoint: check.endpoint, healthCheckId: check.id}
    for (const r of state.regions) {
      if (!targets[r.region]) throw new UsageError(`region ${r.region} has no entry point in Route 53 yet`, {hint: `run \`mygate env create ${spec.name}\` to create its records`})
    }
    const changes = planRecordChanges(name, state, targets, existing)
    for (const r of state.regions) await markWithdrawn(checks.get(r.region) as HealthCheckInfo, r.withdrawn)
    if (changes.length === 0) return
    const result = await call('ChangeResourceRecordSets', async () =>
      client.send(new sdk.ChangeResourceRecordSetsCommand({HostedZoneId: await hostedZone(), ChangeBatch: {Comment: `mygate: ${spec.name}`, Changes: changes as never}})),
    )
    await waitInSync(result.ChangeInfo?.Id)
  }

  const current = async () => {
    const [existing, checks] = await Promise.all([records(), healthChecks()])
    const withdrawn = new Set([...checks.values()].filter((c) => c.withdrawn).map((c) => c.region))
    const state = stateFromRecords(name, regions, existing, withdrawn)
    if (!state) throw new NotFoundError(`no Route 53 records for ${name}`, {hint: `create them with \`mygate env create ${spec.name}\``})
    return {state, checks, existing}
  }

  const change = async (move: (state: TrafficState) => TrafficState) => {
    const {state, checks, existing} = await current()
    await apply(move(state), checks, existing)
  }

  const healthOf = async (check: HealthCheckInfo): Promise<boolean | undefined> => {
    try {
      const status = await client.send(new sdk.GetHealthCheckStatusCommand({HealthCheckId: check.id}))
      const observations = status.HealthCheckObservations ?? []
      if (observations.length === 0) return undefined
      // Route 53 counts an endpoint healthy when more than 18% of its checkers report it healthy.
      const healthy = observations.filter((o) => /^Success/.test(o.StatusReport?.Status ?? '')).length
      return healthy / observations.length > 0.18
    } catch (error) {
      if (isAwsError(error, 'NoSuchHealthCheck')) return false
      throw awsFailure('Route 53 GetHealthCheckStatus', error)
    }
  }

  const describe = async (): Promise<TrafficDescription> => {
    const {state, checks} = await current()
    const health = new Map(await Promise.all(state.regions.map(async (r) => [r.region, checks.has(r.region) ? await healthOf(checks.get(r.region)!) : undefined] as const)))
    const answering = answeringRegions(
      {name, mode: state.mode, regions: state.regions.map((r) => ({...r, cluster: r.region}))},
      (r) => health.get(r.region) !== false,
    )
    return describeRegions({name, state, active: answering, endpointOf: (region) => checks.get(region)?.endpoint, healthOf: (region) => health.get(region)})
  }

  return {
    name,
    describe,
    switchActive: (region) => change((state) => switchActiveState(state, region)),
    withdraw: (region) => change((state) => withdrawState(state, region)),
    restore: (region) => change((state) => restoreState(state, region)),
    async ensureRecords(entries: RegionEntryPoint[]) {
      const [existing, checks] = await Promise.all([records(), healthChecks()])
      const replaced: HealthCheckInfo[] = []
      for (const entry of entries) {
        const path = entry.healthPath ?? healthPath
        const check = checks.get(entry.region)
        if (!entry.endpoint) {
          if (!check) throw new UsageError(`region ${entry.region} has no entry point address for Route 53`, {hint: 'wait for its Ingress to get a load-balancer address, then re-run `mygate env create`'})
          continue
        }
        if (check && check.endpoint === entry.endpoint && check.path === path) continue
        if (check) replaced.push(check)
        checks.set(entry.region, {...(await createHealthCheck(entry.region, entry.endpoint, path)), withdrawn: check?.withdrawn ?? false})
      }
      const withdrawn = new Set([...checks.values()].filter((c) => c.withdrawn).map((c) => c.region))
      const previous = stateFromRecords(name, regions, existing, withdrawn)
      const state = previous && previous.mode === mode ? previous : initialTrafficState({regions, activeRegion: target.activeRegion, mode})
      await apply(state, checks, existing)
      // Only now no record uses them any more.
      for (const old of replaced) await call('DeleteHealthCheck', () => client.send(new sdk.DeleteHealthCheckCommand({HealthCheckId: old.id})))
      return describe()
    },
    async removeRecords() {
      const removed: string[] = []
      const existing = await records().catch((error: unknown) => {
        if (error instanceof NotFoundError) return []
        throw error
      })
      if (existing.length > 0) {
        const result = await call('ChangeResourceRecordSets', async () =>
          client.send(new sdk.ChangeResourceRecordSetsCommand({HostedZoneId: await hostedZone(), ChangeBatch: {Changes: existing.map((r) => ({Action: 'DELETE', ResourceRecordSet: r})) as never}})),
        )
        await waitInSync(result.ChangeInfo?.Id)
        removed.push(...existing.map((r) => `Route 53 record ${name} (${r.SetIdentifier})`))
      }
      for (const check of (await healthChecks()).values()) {
        await call('DeleteHealthCheck', () => client.send(new sdk.DeleteHealthCheckCommand({HealthCheckId: check.id})))
        removed.push(`Route 53 health check ${check.id} (${check.region})`)
      }
      return removed
    },
    async healthChecksFor(region): Promise<RegionHealthCheck[]> {
      const check = (await healthChecks()).get(region)
      if (!check) return []
      const healthy = await healthOf(check)
      return [{id: check.id, region, target: `https://${check.endpoint}:443${check.path}`, ...(healthy !== undefined ? {healthy} : {})}]
    },
    close: async () => client.destroy(),
  }
}
