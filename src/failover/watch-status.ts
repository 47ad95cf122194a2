import type {StatusResult} from './execute.js'
import {failoverStatus} from './execute.js'

/**
 * `failover status --watch`: follow the newest run from any machine (its record lives in the
 * clusters, run-store.ts) until it is no longer running, printing what changed at each look.
 */

/**
 * The lines that tell a watcher what changed between two looks: steps that changed status, the
 * run's outcome, a pending fence that appeared or went, a different run.
 *   prev: scale-target running; next: scale-target done -> ["done     scale-target: 9 apps ready"]
 */
export function statusChanges(prev: StatusResult | undefined, next: StatusResult): string[] {
  const lines: string[] = []
  const before = prev?.run?.id === next.run?.id ? prev?.run : undefined
  const run = next.run
  if (!run) return prev === undefined ? [`environment ${next.environment}: active region ${next.activeRegion}; no failover recorded`] : []
  if (before === undefined) lines.push(`run ${run.id}: ${run.plan.mode} ${run.plan.from} -> ${run.plan.to}, ${run.outcome}`)
  for (const step of run.steps) {
    const old = before?.steps.find((s) => s.id === step.id)
    if (old?.status === step.status || (old === undefined && step.status === 'pending')) continue
    lines.push(`  ${step.status.padEnd(8)} ${step.id}${step.detail ? `: ${step.detail}` : ''}`)
  }
  if (before && before.outcome !== run.outcome) lines.push(`run ${run.id}: ${run.outcome}${run.error ? ` (${run.error})` : ''}`)
  if (before && Boolean(before.pendingFence) !== Boolean(run.pendingFence)) lines.push(run.pendingFence ? `  fence of ${run.pendingFence.region} pending` : '  pending fence applied')
  return lines
}

export interface WatchOptions {
  home?: string
  /** Between looks (default 2 s). */
  intervalMs?: number
  onLines: (lines: string[]) => void
  /** Stop early (the CLI's Ctrl-C). */
  signal?: AbortSignal
}

/** Looks until the newest run is not running (or there is none), returning the last status. */
export async function watchFailoverStatus(env: string, options: WatchOptions): Promise<StatusResult> {
  let last: StatusResult | undefined
  for (;;) {
    const next = await failoverStatus(env, {home: options.home})
    const lines = statusChanges(last, next)
    if (lines.length > 0) options.onLines(lines)
    last = next
    if (next.run?.outcome !== 'running' || options.signal?.aborted) return next
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 2000))
  }
}
