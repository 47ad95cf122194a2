import type {TrafficDescription} from './environment-traffic.js'
import type {TrafficState} from './traffic-state.js'

export interface RegionsViewInput {
  name: string
  state: TrafficState
  /** The region(s) DNS answers with now (each provider decides: health checks, records). */
  active: string[]
  /** A region's entry point, when known. */
  endpointOf?: (region: string) => string | undefined
  /** A region's health as its DNS health check sees it; undefined when there is none. */
  healthOf?: (region: string) => boolean | undefined
}

/**
 * The `describe()` answer of a DNS traffic layer (Route 53, Cloud DNS): one line per region in
 * the state's order, with its entry point and health when known, its weight in weighted mode
 * only, and whether it is withdrawn.
 *
 * @example describeRegions({name: 'app.demo.example.com', state: {mode: 'failover', regions: [a, b]}, active: ['a'], endpointOf: (r) => ENDPOINTS[r]})
 *   // {name, mode: 'failover', active: ['a'], regions: [{region: 'a', endpoint: 'lb-a', withdrawn: false}, {region: 'b', ...}]}
 */
export function describeRegions(input: RegionsViewInput): TrafficDescription {
  const {name, state, active} = input
  return {
    name,
    mode: state.mode,
    active,
    regions: state.regions.map((r) => {
      const endpoint = input.endpointOf?.(r.region)
      const healthy = input.healthOf?.(r.region)
      return {
        region: r.region,
        ...(endpoint ? {endpoint} : {}),
        ...(healthy !== undefined ? {healthy} : {}),
        ...(state.mode === 'weighted' ? {weight: r.weight} : {}),
        withdrawn: r.withdrawn,
      }
    }),
  }
}
