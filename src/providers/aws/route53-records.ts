import type {TrafficState} from '../../traffic-dns/traffic-state.js'

/**
 * Pure: the Route 53 records of an environment's DNS name for a TrafficState, and the state
 * records read back mean. One CNAME per region, told apart by SetIdentifier (the region), each
 * tied to its region's health check, so Route 53's data plane moves traffic by health alone when
 * its control plane (in us-east-1) cannot be reached:
 *
 * - failover: `Failover: PRIMARY | SECONDARY`; a withdrawn region's record is deleted.
 * - weighted (active-active): `Weight`; a withdrawn region has weight 0.
 *
 * @example failover, active a, endpoints a.elb / b.elb:
 *   UPSERT app.example.com CNAME a.elb  SetIdentifier a  Failover PRIMARY    HealthCheckId hc-a
 *   UPSERT app.example.com CNAME b.elb  SetIdentifier b  Failover SECONDARY  HealthCheckId hc-b
 */

/** Short, so resolvers follow a failover within a minute (Route 53 itself answers health at once). */
export const RECORD_TTL_SECONDS = 60

export interface RegionTarget {
  /** The region's entry point (load-balancer hostname). */
  endpoint: string
  healthCheckId: string
}

/** The subset of Route 53's ResourceRecordSet mygate writes and reads. */
export interface CnameRecord {
  Name: string
  Type: 'CNAME'
  SetIdentifier: string
  TTL: number
  ResourceRecords: Array<{Value: string}>
  HealthCheckId: string
  Failover?: 'PRIMARY' | 'SECONDARY'
  Weight?: number
}

export interface RecordChange {
  Action: 'UPSERT' | 'DELETE'
  ResourceRecordSet: CnameRecord
}

/** Route 53 returns names fully qualified, with the trailing dot. */
export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`
}

/** The records a state asks for (withdrawn regions have none in failover mode). */
export function desiredRecords(name: string, state: TrafficState, targets: Record<string, RegionTarget>): CnameRecord[] {
  return state.regions.flatMap((r): CnameRecord[] => {
    if (state.mode === 'failover' && r.withdrawn) return []
    const target = targets[r.region]
    if (!target) throw new Error(`no entry point known for region ${r.region}`)
    return [
      {
        Name: fqdn(name),
        Type: 'CNAME',
        SetIdentifier: r.region,
        TTL: RECORD_TTL_SECONDS,
        ResourceRecords: [{Value: target.endpoint}],
        HealthCheckId: target.healthCheckId,
        ...(state.mode === 'failover' ? {Failover: r.role === 'primary' ? 'PRIMARY' : 'SECONDARY'} : {Weight: r.withdrawn ? 0 : r.weight}),
      },
    ]
  })
}

/**
 * The changes that turn `existing` into what `state` asks for, in one batch (Route 53 applies a
 * batch atomically, so swapping PRIMARY and SECONDARY never leaves two PRIMARYs). A record whose
 * routing kind changes (failover <-> weighted) is deleted and created: Route 53 cannot UPSERT a
 * record set into another routing policy under the same identifier.
 */
export function planRecordChanges(name: string, state: TrafficState, targets: Record<string, RegionTarget>, existing: CnameRecord[]): RecordChange[] {
  const desired = desiredRecords(name, state, targets)
  const mine = existing.filter((r) => r.Name === fqdn(name) && r.Type === 'CNAME')
  const changes: RecordChange[] = []
  for (const record of mine) {
    const wanted = desired.find((d) => d.SetIdentifier === record.SetIdentifier)
    const kindChanged = wanted !== undefined && (wanted.Failover === undefined) !== (record.Failover === undefined)
    if (!wanted || kindChanged) changes.push({Action: 'DELETE', ResourceRecordSet: record})
  }
  for (const record of desired) {
    const current = mine.find((r) => r.SetIdentifier === record.SetIdentifier)
    if (!current || !sameRecord(current, record) || changes.some((c) => c.Action === 'DELETE' && c.ResourceRecordSet.SetIdentifier === record.SetIdentifier)) {
      changes.push({Action: 'UPSERT', ResourceRecordSet: record})
    }
  }
  return changes
}

function sameRecord(a: CnameRecord, b: CnameRecord): boolean {
  return (
    a.ResourceRecords[0]?.Value === b.ResourceRecords[0]?.Value &&
    a.HealthCheckId === b.HealthCheckId &&
    a.Failover === b.Failover &&
    a.Weight === b.Weight &&
    Number(a.TTL) === b.TTL
  )
}

/**
 * What the records say: mode, roles, weights. A region of `regions` without a record is withdrawn
 * (failover mode); `withdrawn` (from the health checks' tags) marks weighted regions taken out.
 * Undefined when there are no records for the name.
 */
export function stateFromRecords(name: string, regions: string[], records: CnameRecord[], withdrawn: Set<string>): TrafficState | undefined {
  const mine = records.filter((r) => r.Name === fqdn(name) && r.Type === 'CNAME')
  if (mine.length === 0) return undefined
  const mode = mine.some((r) => r.Failover !== undefined) ? 'failover' : 'weighted'
  const hasPrimary = mine.some((r) => r.Failover === 'PRIMARY')
  return {
    mode,
    regions: regions.map((region) => {
      const record = mine.find((r) => r.SetIdentifier === region)
      if (mode === 'failover') {
        // A set whose PRIMARY was withdrawn with no heir: the remaining record answers as the primary would.
        const role = record?.Failover === 'PRIMARY' || (record && !hasPrimary) ? 'primary' : 'secondary'
        return {region, role, weight: 100, withdrawn: !record}
      }
      const weight = record?.Weight ?? 0
      return {region, role: weight > 0 ? 'primary' : 'secondary', weight, withdrawn: !record || withdrawn.has(region)}
    }),
  }
}
