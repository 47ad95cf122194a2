import {UsageError} from '../errors.js'

/**
 * Which region(s) an environment's DNS name sends traffic to, as plain data, and the pure moves
 * between states. Every backend (Route 53, Cloud DNS, the local DNS table) reads its records into
 * a TrafficState and writes a TrafficState back as records, so the rules live here once.
 *
 * failover mode: one PRIMARY and one SECONDARY record, each health-checked; DNS answers the
 * PRIMARY while it is healthy. weighted mode (drMode active-active): one weighted record per
 * region; a region out of service has weight 0.
 */
export type TrafficMode = 'failover' | 'weighted'

export interface RegionTraffic {
  region: string
  role: 'primary' | 'secondary'
  /** weighted mode: relative weight (0-255, Route 53's range); failover mode: unused (kept at the default). */
  weight: number
  /** Fenced: failover mode deletes its record, weighted mode sets its weight to 0. */
  withdrawn: boolean
}

export interface TrafficState {
  mode: TrafficMode
  regions: RegionTraffic[]
}

/** The weight a serving region gets in weighted mode: equal shares between regions. */
export const SERVING_WEIGHT = 100

/**
 * The state `env create` sets up: the active region is PRIMARY (failover) or every region serves
 * equally (weighted).
 *
 * @example initialTrafficState({regions: ['a', 'b'], activeRegion: 'b', mode: 'failover'})
 *   // b primary, a secondary, both with weight 100, none withdrawn
 */
export function initialTrafficState(input: {regions: string[]; activeRegion: string; mode: TrafficMode}): TrafficState {
  return {
    mode: input.mode,
    regions: input.regions.map((region) => ({
      region,
      role: region === input.activeRegion ? 'primary' : 'secondary',
      weight: SERVING_WEIGHT,
      withdrawn: false,
    })),
  }
}

function requireRegion(state: TrafficState, region: string): void {
  if (!state.regions.some((r) => r.region === region)) {
    throw new UsageError(`region "${region}" has no DNS record in this environment`, {hint: `its regions: ${state.regions.map((r) => r.region).join(', ')}`})
  }
}

/**
 * `region` becomes the one that serves: failover swaps PRIMARY and SECONDARY; weighted gives it
 * the serving weight and the others 0 (they stay as records, so Route 53 still answers with them
 * if `region` turns unhealthy). A withdrawn target is put back: switching to it says it is good.
 */
export function switchActiveState(state: TrafficState, region: string): TrafficState {
  requireRegion(state, region)
  return {
    ...state,
    regions: state.regions.map((r) =>
      r.region === region
        ? {...r, role: 'primary', weight: SERVING_WEIGHT, withdrawn: false}
        : {...r, role: 'secondary', weight: state.mode === 'weighted' ? 0 : r.weight},
    ),
  }
}

/**
 * Fences `region`: its record is withdrawn. In failover mode a withdrawn PRIMARY hands the role to
 * the other region, so what remains is a valid PRIMARY (a record set with only a SECONDARY still
 * answers in Route 53, but the intent is clearer this way and restore then makes it the standby).
 */
export function withdrawState(state: TrafficState, region: string): TrafficState {
  requireRegion(state, region)
  const wasPrimary = state.regions.find((r) => r.region === region)?.role === 'primary'
  const heir = wasPrimary ? state.regions.find((r) => r.region !== region && !r.withdrawn)?.region : undefined
  return {
    ...state,
    regions: state.regions.map((r) => {
      if (r.region === region) return {...r, role: heir ? 'secondary' : r.role, weight: state.mode === 'weighted' ? 0 : r.weight, withdrawn: true}
      if (r.region === heir) return {...r, role: 'primary'}
      return r
    }),
  }
}

/** Puts a withdrawn region back: the standby in failover mode, a serving weight in weighted mode. */
export function restoreState(state: TrafficState, region: string): TrafficState {
  requireRegion(state, region)
  const others = state.regions.filter((r) => r.region !== region && !r.withdrawn)
  return {
    ...state,
    regions: state.regions.map((r) => {
      if (r.region !== region) return r
      // With no other region serving it can only come back as the primary.
      const role = state.mode === 'failover' && others.some((o) => o.role === 'primary') ? 'secondary' : r.role
      return {...r, role: others.length === 0 ? 'primary' : role, weight: state.mode === 'weighted' ? SERVING_WEIGHT : r.weight, withdrawn: false}
    }),
  }
}
