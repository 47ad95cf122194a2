/**
 * The local control plane's DNS table: one record set per environment name, answering the way
 * Route 53 answers health-checked failover and weighted records (a simulation; the rules cited
 * below are Route 53's published ones, which Cloud DNS's primaryBackup and wrr policies follow too).
 */

export type LocalDnsMode = 'failover' | 'weighted'

/** One region's record in a set: its entry point and how DNS treats it. */
export interface LocalDnsRegionRecord {
  region: string
  /** The local cluster that serves this region: its outage makes the record unhealthy. */
  cluster: string
  /** The entry point's address (the gateway Ingress's load-balancer hostname), when known. */
  endpoint?: string
  /** failover mode: PRIMARY or SECONDARY. */
  role: 'primary' | 'secondary'
  /** weighted mode: relative weight, 0-255 as in Route 53. */
  weight: number
  /** Taken out of service (fenced): the record is gone (failover) or weighted 0 (weighted). */
  withdrawn: boolean
}

export interface LocalDnsRecordSet {
  /** The DNS name, e.g. demo.mygate.local. */
  name: string
  mode: LocalDnsMode
  regions: LocalDnsRegionRecord[]
}

/** A record set as DNS answers it now. */
export interface LocalDnsAnswer extends Omit<LocalDnsRecordSet, 'regions'> {
  regions: Array<LocalDnsRegionRecord & {healthy: boolean}>
  /** The region(s) a resolver gets now; empty when no record can answer. */
  active: string[]
}

/**
 * Which regions answer, given each record's health.
 *
 * failover (Route 53 "Active-passive failover"): the PRIMARY answers while healthy, else the
 * SECONDARY while healthy; when both are unhealthy Route 53 answers with the PRIMARY ("if all the
 * records are unhealthy, Route 53 responds with the primary"). A withdrawn record does not exist,
 * so it never answers.
 *
 * weighted (Route 53 "How health checks work in weighted record sets"): healthy records with a
 * non-zero weight answer; if none is healthy among the non-zero ones, the healthy zero-weight ones
 * answer; if every record is unhealthy, all of them answer as if healthy. Withdrawn records have
 * weight 0 and are excluded here: fencing must not bring a region back by accident.
 */
export function answeringRegions(set: LocalDnsRecordSet, healthy: (record: LocalDnsRegionRecord) => boolean): string[] {
  const present = set.regions.filter((r) => !r.withdrawn)
  if (present.length === 0) return []
  if (set.mode === 'failover') {
    const primary = present.find((r) => r.role === 'primary')
    const secondary = present.find((r) => r.role === 'secondary')
    if (primary && healthy(primary)) return [primary.region]
    if (secondary && healthy(secondary)) return [secondary.region]
    return [(primary ?? secondary ?? present[0]).region]
  }
  const nonZero = present.filter((r) => r.weight > 0)
  const healthyNonZero = nonZero.filter(healthy)
  if (healthyNonZero.length > 0) return healthyNonZero.map((r) => r.region)
  const healthyZero = present.filter((r) => r.weight === 0 && healthy(r))
  if (healthyZero.length > 0) return healthyZero.map((r) => r.region)
  return (nonZero.length > 0 ? nonZero : present).map((r) => r.region)
}

export function answer(set: LocalDnsRecordSet, healthy: (record: LocalDnsRegionRecord) => boolean): LocalDnsAnswer {
  return {...set, regions: set.regions.map((r) => ({...r, healthy: healthy(r)})), active: answeringRegions(set, healthy)}
}

/** Why a record set sent to the daemon is malformed, or undefined when it is fine. */
export function recordSetProblem(value: unknown): string | undefined {
  const set = value as Partial<LocalDnsRecordSet> | undefined
  if (!set || typeof set.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(set.name)) return 'name must be a DNS name'
  if (set.mode !== 'failover' && set.mode !== 'weighted') return 'mode must be failover or weighted'
  if (!Array.isArray(set.regions) || set.regions.length === 0) return 'regions must be a non-empty list'
  for (const r of set.regions as Array<Partial<LocalDnsRegionRecord>>) {
    if (typeof r.region !== 'string' || typeof r.cluster !== 'string') return 'each region needs region and cluster'
    if (r.role !== 'primary' && r.role !== 'secondary') return `region ${r.region}: role must be primary or secondary`
    if (typeof r.weight !== 'number' || !Number.isInteger(r.weight) || r.weight < 0 || r.weight > 255) return `region ${r.region}: weight must be 0-255`
    if (typeof r.withdrawn !== 'boolean') return `region ${r.region}: withdrawn must be a boolean`
  }
  if (set.mode === 'failover' && set.regions.filter((r) => r.role === 'primary').length > 1) return 'a failover set has one primary'
  return undefined
}
