import type {FlagChangeResult, FlagSummary} from './flag-operations.js'
import {currentSplit} from './flag-changes.js'
import type {FlagRolloutState} from './flag-rollout-machine.js'
import type {FlagDefinition} from './types.js'

/** Rows padded into columns, header first, trailing spaces trimmed. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd())
}

/** "off", "on", "on 10% / off", "disabled": what a flag serves right now. */
export function describeServing(flag: Pick<FlagSummary, 'state' | 'defaultVariant' | 'splitPercent'>): string {
  if (flag.state === 'DISABLED') return 'disabled'
  if (flag.splitPercent !== undefined) return `split ${flag.splitPercent}% on`
  return flag.defaultVariant ?? '(code default)'
}

export function describeServingOf(flag: FlagDefinition | undefined): string {
  if (!flag) return '(none)'
  return describeServing({state: flag.state, defaultVariant: flag.defaultVariant ?? null, splitPercent: currentSplit(flag)})
}

export function describeChange(result: FlagChangeResult): string[] {
  return result.changes.map(
    (c) => `${c.key}: ${describeServingOf(c.before)} -> ${describeServingOf(c.after)} in ${result.environment} (${result.regions.join(', ')})`,
  )
}

const PHASE_WORD: Record<FlagRolloutState['phase'], string> = {
  progressing: 'PROGRESSING',
  paused: 'PAUSED',
  succeeded: 'SUCCESS',
  turnedOff: 'TURNED OFF',
  aborted: 'ABORTED',
}

/** "Result: SUCCESS — upi-autopay in demo at 100% (steps 1, 100)" and the latest measurements. */
export function describeRollout(state: FlagRolloutState): string {
  const lines = [`Result: ${PHASE_WORD[state.phase]} — ${state.flag} in ${state.environment} at ${state.appliedPercent ?? 0}% (steps ${state.steps.join(', ')}; ${state.services.join(', ')})${state.reason ? `: ${state.reason}` : ''}`]
  for (const m of state.lastMeasurements ?? []) lines.push(`  ${m.verdict.padEnd(12)} ${m.reason}`)
  return lines.join('\n')
}
