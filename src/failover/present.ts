import {formatDuration} from '../duration.js'
import type {DrillResult} from './drill.js'
import type {FailoverResult, HistoryEntry, StatusResult} from './execute.js'
import {measureRun, type RolledBackWrites} from './run-state.js'

/** Human lines for the failover commands (stdout); `--json` prints the typed results instead. */

const ms = (value: number | undefined) => (value === undefined ? 'n/a' : formatDuration(value))

export function presentRun(result: FailoverResult): string[] {
  const lines: string[] = []
  for (const region of result.fencesApplied) lines.push(`pending fence applied to ${region}: its writers at zero, deny-all NetworkPolicy`)
  for (const r of result.rollbacks ?? []) lines.push(rollbackLine(r))
  const run = result.run
  if (!run) return lines
  const m = result.measures ?? measureRun(run)
  for (const phase of m.phases) lines.push(`  ${phase.step.padEnd(28)} ${formatDuration(phase.durationMs)}`)
  if (run.pendingFence) lines.push(`  fence of ${run.pendingFence.region} pending: applied first when it answers again; failback refuses until then`)
  const window = run.dataLossWindowSeconds === undefined ? '' : `, data-loss window ${formatDuration(run.dataLossWindowSeconds * 1000)}`
  const warnings = result.warnings ?? []
  for (const warning of warnings) lines.push(`  warning: ${warning}`)
  const left = warnings.length === 0 ? '' : ` WITH ${warnings.length} WARNING${warnings.length === 1 ? '' : 'S'}`
  lines.push(`Result: SUCCESS${left} — ${result.environment} serves from ${run.plan.to} (${run.plan.mode}, RTO ${ms(m.rtoMs)}, total ${ms(m.totalMs)}${window})`)
  return lines
}

/** One rolled-back member: how many writes, where, and where MongoDB kept them. */
export function rollbackLine(r: RolledBackWrites): string {
  const kept = r.dataDirectory ? `, kept in ${r.dataDirectory} on that member` : ''
  return `  rolled back on ${r.member} (${r.database}): ${r.entries} writes in ${r.namespaces.join(', ') || 'no namespace'}${kept}`
}

export function statusLines(result: StatusResult): string[] {
  const lines = [`environment ${result.environment}: active region ${result.activeRegion}`]
  if (result.unreachable.length > 0) lines.push(`  not answering: ${result.unreachable.join(', ')}`)
  const run = result.run
  if (!run) return [...lines, '  no failover recorded']
  lines.push(`newest run ${run.id}: ${run.plan.mode} ${run.plan.from} -> ${run.plan.to}, ${run.outcome}${run.error ? ` (${run.error})` : ''}`)
  for (const step of run.steps) lines.push(`  ${step.status.padEnd(8)} ${step.id}${step.detail ? `: ${step.detail}` : ''}`)
  lines.push(`  RTO ${ms(result.measures?.rtoMs)}, total ${ms(result.measures?.totalMs)}`)
  if (run.pendingFence) lines.push(`  fence of ${run.pendingFence.region} pending since ${run.pendingFence.since}`)
  for (const warning of run.warnings ?? []) lines.push(`  warning: ${warning}`)
  return lines
}

export function historyLines(runs: HistoryEntry[]): string[] {
  if (runs.length === 0) return ['no failovers recorded']
  return runs.map((r) => {
    const window = r.dataLossWindowSeconds === undefined ? '' : ` loss-window ${formatDuration(r.dataLossWindowSeconds * 1000)}`
    const why = r.reason ? ` "${r.reason}"` : ''
    return `${r.startedAt} ${r.id} ${r.mode} ${r.from} -> ${r.to} ${r.outcome} RTO ${ms(r.rtoMs)} total ${ms(r.totalMs)}${window} by ${r.who}${why}`
  })
}

/** The drill's report: its steps, the RTO and RPO per phase against each service's targets, the verdict. */
export function drillLines(result: DrillResult): string[] {
  const lines = [`Drill of ${result.environment} (${result.provider}, ${result.kind}): ${result.from} -> ${result.to}${result.kind === 'outage' ? ` -> ${result.from}` : ''}`]
  for (const step of result.steps) lines.push(`  ${step.step.padEnd(18)} ${formatDuration(step.durationMs).padStart(7)}  ${step.detail}`)
  for (const r of result.rollbacks) lines.push(rollbackLine(r))
  for (const phase of result.phases) {
    lines.push(`${phase.phase}: RTO ${ms(phase.rtoMs)}, replication lag at the switch ${formatDuration(phase.lagSeconds * 1000)}`)
    for (const row of result.services.filter((s) => s.phase === phase.phase)) {
      const mark = row.met ? 'met   ' : 'MISSED'
      lines.push(`  ${mark} ${row.service.padEnd(17)} RTO ${ms(row.rtoMs).padStart(7)} / ${formatDuration(row.rtoTargetMs).padEnd(4)}  RPO ${formatDuration(row.rpoMs).padStart(6)} / ${formatDuration(row.rpoTargetMs)}`)
    }
  }
  lines.push(`Result: ${result.verdict === 'met' ? 'SUCCESS' : 'FAILED'} — every service's RTO and RPO ${result.verdict === 'met' ? 'within its targets' : `missed in ${result.missed.length} case(s)`} (runs ${result.runs.join(', ')})`)
  return lines
}
