import {ExitCode} from '../../errors.js'
import type {WatchResult} from './watch.js'

/** The exit code of `failover watch --once`: 0 healthy, 10 lost and handled, 11 lost and a person must act. */
export function watchExitCode(result: Pick<WatchResult, 'verdict'>): number {
  return {healthy: ExitCode.ok, handled: ExitCode.watchHandled, 'needs-human': ExitCode.watchNeedsHuman}[result.verdict]
}

/** The final lines on stdout (the probes and alerts went to stderr as they happened). */
export function watchLines(result: WatchResult): string[] {
  const lines = result.regions.map((r) => `  ${r.region.padEnd(12)} ${r.condition}${r.failures > 0 ? ` (${r.failures} failed probes${r.lastError ? `: ${r.lastError}` : ''})` : ''}`)
  for (const action of result.actions) {
    if (action.outcome === 'handled') lines.push(`  ${action.region} lost: handled by failover run ${action.runId}`)
    else lines.push(`  ${action.region} lost: needs a person: ${action.alert?.why}${action.alert?.command ? `; run: ${action.alert.command}` : ''}`)
  }
  const verdict = {healthy: 'every region healthy', handled: 'a lost region was handled', 'needs-human': 'a lost region needs a person'}[result.verdict]
  return [`Watch of ${result.environment} after ${result.rounds} round(s):`, ...lines, `Result: ${verdict}`]
}
