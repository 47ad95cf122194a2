import type {TrafficMode, TrafficState} from '../../traffic-dns/traffic-state.js'
import type {ResourceRecordSet} from './cloud-dns.js'

/**
 * Pure: the Cloud DNS records of an environment's DNS name for a TrafficState, and the state the
 * records say. Two record sets, written together in one atomic change:
 *
 * - the answer at NAME: failover mode, the serving region's entry point alone (an A record, or a
 *   CNAME for a hostname); weighted mode (active-active), a weighted round robin routing policy
 *   (`routingPolicy.wrr`) with one item per serving region and its weight. A withdrawn region is
 *   not in the answer in either mode.
 * - the state at `_mygate.NAME` (TXT, one string per region): role, weight, withdrawn and entry
 *   point of every region, including those not in the answer (the standby's entry point is what a
 *   switchover needs). Cloud DNS record sets carry no tags or identifiers of their own, unlike
 *   Route 53's SetIdentifier and health-check tags, so the state lives beside the answer.
 *
 * Not modelled: Cloud DNS health-checked failover (`routingPolicy.primaryBackup`), which needs a
 * Compute health check per entry point; a switchover here is always explicit.
 *
 * @example failover, active r2, endpoints r1 34.1.1.1 / r2 34.2.2.2:
 *   app.example.com.          A    60  34.2.2.2
 *   _mygate.app.example.com.  TXT  60  "mygate-traffic mode=failover" "region=r1 role=secondary weight=100 withdrawn=false endpoint=34.1.1.1" "region=r2 role=primary ..."
 */

/** As Route 53's: resolvers follow a switchover within a minute. */
export const TRAFFIC_RECORD_TTL_SECONDS = 60

export function stateRecordName(name: string): string {
  return `_mygate.${fqdn(name)}`
}

export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/

/** Regions that answer in a state: failover, the primary (if not withdrawn); weighted, every region with weight > 0 not withdrawn. */
export function servingRegions(state: TrafficState): string[] {
  if (state.mode === 'failover') return state.regions.filter((r) => r.role === 'primary' && !r.withdrawn).map((r) => r.region)
  return state.regions.filter((r) => !r.withdrawn && r.weight > 0).map((r) => r.region)
}

/** The record sets a state asks for: the answer (none when no region serves) and the state record. */
export function desiredTrafficRecords(name: string, state: TrafficState, endpoints: Record<string, string>): ResourceRecordSet[] {
  for (const r of state.regions) if (!endpoints[r.region]) throw new Error(`no entry point known for region ${r.region}`)
  const serving = servingRegions(state)
  const type = serving.every((region) => IPV4.test(endpoints[region])) ? 'A' : 'CNAME'
  const value = (region: string) => (type === 'A' ? endpoints[region] : fqdn(endpoints[region]))
  const records: ResourceRecordSet[] = []
  if (serving.length > 0) {
    records.push(
      state.mode === 'failover'
        ? {name: fqdn(name), type, ttl: TRAFFIC_RECORD_TTL_SECONDS, rrdatas: [value(serving[0])]}
        : {name: fqdn(name), type, ttl: TRAFFIC_RECORD_TTL_SECONDS, routingPolicy: wrr(state, serving, value)},
    )
  }
  records.push({
    name: stateRecordName(name),
    type: 'TXT',
    ttl: TRAFFIC_RECORD_TTL_SECONDS,
    rrdatas: [
      `"mygate-traffic mode=${state.mode}"`,
      ...state.regions.map((r) => `"region=${r.region} role=${r.role} weight=${r.weight} withdrawn=${r.withdrawn} endpoint=${endpoints[r.region]}"`),
    ],
  })
  return records
}

function wrr(state: TrafficState, serving: string[], value: (region: string) => string) {
  return {wrr: {items: serving.map((region) => ({weight: state.regions.find((r) => r.region === region)!.weight, rrdatas: [value(region)]}))}}
}

/**
 * The state and entry points the state record says, for the environment's `regions` (a region the
 * record lacks is withdrawn, with no known entry point). Undefined when there is no state record.
 */
export function stateFromTrafficRecords(name: string, regions: string[], records: ResourceRecordSet[]): {state: TrafficState; endpoints: Record<string, string>} | undefined {
  const record = records.find((r) => r.name === stateRecordName(name) && r.type === 'TXT')
  if (!record) return undefined
  const fields = (record.rrdatas ?? []).map((text) => Object.fromEntries(text.replace(/^"|"$/g, '').split(' ').filter((part) => part.includes('=')).map((part) => part.split('=', 2) as [string, string])))
  const mode = (fields.find((f) => f.mode)?.mode ?? 'failover') as TrafficMode
  const endpoints: Record<string, string> = {}
  const state: TrafficState = {
    mode,
    regions: regions.map((region) => {
      const f = fields.find((candidate) => candidate.region === region)
      if (!f) return {region, role: 'secondary', weight: 0, withdrawn: true}
      if (f.endpoint) endpoints[region] = f.endpoint
      return {region, role: f.role === 'primary' ? 'primary' : 'secondary', weight: Number(f.weight ?? 100), withdrawn: f.withdrawn === 'true'}
    }),
  }
  return {state, endpoints}
}

/**
 * The one change that turns `existing` (the record sets listed at NAME and `_mygate.NAME`) into
 * `desired`: every existing set that differs is deleted exactly as read and its replacement added
 * (Cloud DNS refuses a deletion that does not match, and an addition of a name and type that
 * exists). Nothing when they already match.
 */
export function planTrafficChange(name: string, desired: ResourceRecordSet[], existing: ResourceRecordSet[]): {additions: ResourceRecordSet[]; deletions: ResourceRecordSet[]} {
  const key = (r: ResourceRecordSet) => `${r.name} ${r.type}`
  const same = (a: ResourceRecordSet, b: ResourceRecordSet) =>
    key(a) === key(b) && Number(a.ttl) === Number(b.ttl) && JSON.stringify(a.rrdatas ?? []) === JSON.stringify(b.rrdatas ?? []) && JSON.stringify(a.routingPolicy ?? null) === JSON.stringify(b.routingPolicy ?? null)
  // Only what mygate writes: A or CNAME at the name, TXT at the state name; anything else there is the user's.
  const mine = existing.filter((r) => (r.name === fqdn(name) && (r.type === 'A' || r.type === 'CNAME')) || (r.name === stateRecordName(name) && r.type === 'TXT'))
  const deletions = mine.filter((r) => !desired.some((d) => same(d, r)))
  const additions = desired.filter((d) => !mine.some((r) => same(d, r)))
  return {additions, deletions}
}
