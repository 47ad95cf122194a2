import type {ServiceDescriptor} from '../catalog/types.js'
import {formatDuration, parseDuration} from '../duration.js'
import type {RolledBackWrites} from './run-state.js'

/**
 * The drill's verdict (issue 11 "Drill"): each recovery phase's measured RTO and RPO against every
 * service's targets (its descriptor's `criticality`). Pure; drill.ts measures.
 *
 * - RTO of a phase: from the moment service was lost (the outage, or the start of the planned
 *   switchover) to the gateway verified serving in the new region. All services move together, so
 *   a phase has one RTO, judged against each service's own target.
 * - RPO of a phase, per database: the larger of the replication lag of the member that took over
 *   (the run's data-loss window) and the span of the writes rolled back when the old members
 *   rejoined (their optimes, from the common point to the last one rolled back). An app is judged
 *   by its database's; a service without a MongoDB database (gateway, redis: a per-region cache)
 *   loses no replicated data and is judged at zero.
 *
 * Worked example: outage phase RTO 4.1 s, billing-db rolled back 2 writes between 1700000000:1 and
 * 1700000001:3 -> billing RPO 1 s <= 1m: met; gateway RTO 4.1 s <= 5m: met.
 */

export interface PhaseMeasure {
  /** 'outage' (forced failover) or 'failback' / 'switchover' (planned). */
  phase: string
  rtoMs: number
  /** The run's data-loss window (lag of the members that took over), seconds. */
  lagSeconds: number
  /** Writes rolled back on the old members as they rejoined, for the outage phase. */
  rollbacks: readonly RolledBackWrites[]
}

export interface ServiceVerdict {
  service: string
  phase: string
  level: string
  rtoTargetMs: number
  rtoMs: number
  rpoTargetMs: number
  rpoMs: number
  met: boolean
}

export interface DrillVerdict {
  verdict: 'met' | 'missed'
  services: ServiceVerdict[]
  /** One line per missed target, for the error and the summary. */
  missed: string[]
}

/** Seconds of a SECONDS:ORDINAL optime, undefined for anything else. */
function secondsOf(optime: string | undefined): number | undefined {
  const seconds = Number((optime ?? '').split(':')[0])
  return optime && Number.isFinite(seconds) ? seconds : undefined
}

/** The span of rolled-back writes per database, in ms (0 when nothing was rolled back). */
export function rollbackSpanMs(rollbacks: readonly RolledBackWrites[], database: string): number {
  let span = 0
  for (const r of rollbacks.filter((x) => x.database === database && x.entries > 0)) {
    const from = secondsOf(r.commonPoint)
    const to = secondsOf(r.lastRolledBack)
    if (from !== undefined && to !== undefined) span = Math.max(span, (to - from) * 1000)
  }
  return span
}

/** The database whose data a service's RPO is about: its own name for a database, its dependency for an app. */
export function databaseOf(service: ServiceDescriptor): string | undefined {
  if (service.kind === 'mongodb') return service.name
  return service.kind === 'app' ? service.dependencies.database : undefined
}

export function judgeDrill(services: readonly ServiceDescriptor[], phases: readonly PhaseMeasure[]): DrillVerdict {
  const rows: ServiceVerdict[] = []
  for (const phase of phases) {
    for (const service of services) {
      const database = databaseOf(service)
      const rpoMs = database === undefined ? 0 : Math.max(phase.lagSeconds * 1000, rollbackSpanMs(phase.rollbacks, database))
      const rtoTargetMs = parseDuration(service.criticality.rto, `${service.name} criticality.rto`)
      const rpoTargetMs = parseDuration(service.criticality.rpo, `${service.name} criticality.rpo`)
      rows.push({
        service: service.name,
        phase: phase.phase,
        level: service.criticality.level,
        rtoTargetMs,
        rtoMs: phase.rtoMs,
        rpoTargetMs,
        rpoMs,
        met: phase.rtoMs <= rtoTargetMs && rpoMs <= rpoTargetMs,
      })
    }
  }
  const missed = rows
    .filter((r) => !r.met)
    .map((r) => `${r.phase}: ${r.service} RTO ${formatDuration(r.rtoMs)} (target ${formatDuration(r.rtoTargetMs)}), RPO ${formatDuration(r.rpoMs)} (target ${formatDuration(r.rpoTargetMs)})`)
  return {verdict: missed.length === 0 ? 'met' : 'missed', services: rows, missed}
}
