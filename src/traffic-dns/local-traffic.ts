import {NotFoundError} from '../errors.js'
import {mygateHome} from '../home.js'
import {deleteDnsRecords, getDnsRecords, putDnsRecords} from '../local-control/control-client.js'
import type {LocalDnsAnswer, LocalDnsRecordSet} from '../local-cluster/dns/record-set.js'
import {localClusterName} from '../providers/local/local-provider.js'
import {
  environmentDnsName,
  trafficModeFor,
  trafficRegions,
  type EnvironmentTraffic,
  type RegionEntryPoint,
  type TrafficDescription,
  type TrafficTarget,
} from './environment-traffic.js'
import {initialTrafficState, restoreState, switchActiveState, withdrawState, type TrafficState} from './traffic-state.js'

/**
 * The local provider's traffic layer: the environment's record set in the local control plane's
 * DNS table, which answers like Route 53's health-checked records (a region that is down is
 * unhealthy). Every change writes the whole set; the daemon applies it at once, so it is in sync
 * when the call returns.
 */
export function openLocalTraffic(target: TrafficTarget, options: {home?: string} = {}): EnvironmentTraffic {
  const home = options.home ?? mygateHome()
  const {spec} = target
  const name = environmentDnsName(spec) as string
  const mode = trafficModeFor(spec)
  const regions = trafficRegions(spec)

  const read = async (): Promise<LocalDnsAnswer> => {
    const found = await getDnsRecords(home, name)
    if (!found) throw new NotFoundError(`no DNS records for ${name}`, {hint: `create them with \`mygate env create ${spec.name}\``})
    return found
  }
  const change = async (move: (state: TrafficState) => TrafficState): Promise<void> => {
    const current = await read()
    await putDnsRecords(home, toRecordSet(name, move(stateOf(current)), endpointsOf(current)))
  }

  return {
    name,
    describe: async () => describeAnswer(await read()),
    switchActive: (region) => change((state) => switchActiveState(state, region)),
    withdraw: (region) => change((state) => withdrawState(state, region)),
    restore: (region) => change((state) => restoreState(state, region)),
    async ensureRecords(entries: RegionEntryPoint[]) {
      const existing = await getDnsRecords(home, name)
      const state = existing && existing.mode === mode && sameRegions(existing, regions) ? stateOf(existing) : initialTrafficState({regions, activeRegion: target.activeRegion, mode})
      const endpoints = {...(existing ? endpointsOf(existing) : {}), ...Object.fromEntries(entries.filter((e) => e.endpoint).map((e) => [e.region, e.endpoint as string]))}
      return describeAnswer(await putDnsRecords(home, toRecordSet(name, state, endpoints)))
    },
    async removeRecords() {
      return (await deleteDnsRecords(home, name)) ? [`local DNS records for ${name}`] : []
    },
    async healthChecksFor(region) {
      const found = (await read()).regions.find((r) => r.region === region)
      return found ? [{id: `local:${found.cluster}`, region, target: `cluster ${found.cluster} up`, healthy: found.healthy}] : []
    },
    close: async () => undefined,
  }

  function toRecordSet(setName: string, state: TrafficState, endpoints: Record<string, string>): LocalDnsRecordSet {
    return {
      name: setName,
      mode: state.mode,
      regions: state.regions.map((r) => ({
        region: r.region,
        cluster: localClusterName(spec.name, r.region),
        ...(endpoints[r.region] ? {endpoint: endpoints[r.region]} : {}),
        role: r.role,
        weight: r.weight,
        withdrawn: r.withdrawn,
      })),
    }
  }
}

function stateOf(answer: LocalDnsAnswer): TrafficState {
  return {mode: answer.mode, regions: answer.regions.map(({region, role, weight, withdrawn}) => ({region, role, weight, withdrawn}))}
}

function endpointsOf(answer: LocalDnsAnswer): Record<string, string> {
  return Object.fromEntries(answer.regions.filter((r) => r.endpoint).map((r) => [r.region, r.endpoint as string]))
}

function sameRegions(answer: LocalDnsAnswer, regions: string[]): boolean {
  return answer.regions.length === regions.length && regions.every((region) => answer.regions.some((r) => r.region === region))
}

function describeAnswer(answer: LocalDnsAnswer): TrafficDescription {
  return {
    name: answer.name,
    mode: answer.mode,
    active: answer.active,
    regions: answer.regions.map((r) => ({
      region: r.region,
      ...(r.endpoint ? {endpoint: r.endpoint} : {}),
      healthy: r.healthy,
      ...(answer.mode === 'weighted' ? {weight: r.weight} : {}),
      withdrawn: r.withdrawn,
    })),
  }
}
