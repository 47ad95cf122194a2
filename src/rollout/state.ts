import type {AnalysisThresholds, RolloutStrategy} from '../catalog/types.js'
import type {AnalysisRun} from '../analysis/types.js'
import {UsageError} from '../errors.js'
import type {RolloutStep} from './plan.js'

/**
 * The rollout record: everything needed to show, steer or resume a rollout from any machine.
 * It is plain JSON-able data, stored in a ConfigMap (see state-codec.ts) and advanced only by
 * `applyEvent` (state-machine.ts).
 */

export const ROLLOUT_STATE_SCHEMA_VERSION = 1

export const ROLLOUT_PHASES = ['Pending', 'Progressing', 'Paused', 'RollingBack', 'Succeeded', 'RolledBack', 'Aborted', 'Failed'] as const
/**
 * - Pending: recorded, nothing changed in the cluster yet;
 * - Progressing: walking the plan (including timed pauses and analysis retries);
 * - Paused: waiting for a person (`rollout promote` at an approval pause, `rollout resume` after
 *   an inconclusive analysis);
 * - RollingBack: traffic is being returned to the previous version;
 * - Succeeded / RolledBack / Aborted / Failed: finished. Failed means mygate could not carry the
 *   rollout through (an error it could not recover from); the message says what is running.
 */
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number]

export const TERMINAL_PHASES: readonly RolloutPhase[] = ['Succeeded', 'RolledBack', 'Aborted', 'Failed']
export const IN_PROGRESS_PHASES: readonly RolloutPhase[] = ['Pending', 'Progressing', 'Paused']

export type Color = 'blue' | 'green'

export type RollbackCause = 'analysis' | 'unhealthy' | 'abort' | 'undo'

export interface RollbackInfo {
  cause: RollbackCause
  reason: string
  /**
   * How to get back:
   * - traffic: the previous version still runs (stable Deployment, or the old colour): send all
   *   traffic to it and scale the new pods to 0;
   * - previousVersion: the previous version no longer runs anywhere (canary promoted, rolling
   *   update, old colour scaled down): deploy `fromImage` again.
   */
  restore: 'traffic' | 'previousVersion'
}

export interface RolloutState {
  schemaVersion: typeof ROLLOUT_STATE_SCHEMA_VERSION
  /** Unique per rollout, e.g. "visitors-20261123t120000z"; chosen by the caller. */
  id: string
  environment: string
  service: string
  strategy: RolloutStrategy
  /** Version running before the rollout; absent on a service's first deploy. */
  fromVersion?: string
  fromImage?: string
  toVersion: string
  /** Full image reference of the new version. */
  image: string
  plan: RolloutStep[]
  currentStepIndex: number
  phase: RolloutPhase
  /** Percent of traffic served by the new version (canary weight; 0 or 100 for the others). */
  currentWeight: number
  /** Thresholds, interval and failure limit from the descriptor at the time of the deploy. */
  analysis: AnalysisThresholds
  analysisRuns: AnalysisRun[]
  /** ISO time a timed wait ends (a pause step, an analysis retry, the blue-green scale-down delay). */
  pausedUntil?: string
  /** ISO time the current step was entered. */
  stepStartedAt: string
  /** Why the rollout is in its phase, in words a person can act on. */
  message: string
  rollback?: RollbackInfo
  /** Blue-green only: the colour serving before the rollout and the one the new version gets. */
  colors?: {from: Color; to: Color}
  startedBy: {user: string; host: string}
  git?: {commit: string; branch: string; dirty: boolean}
  createdAt: string
  updatedAt: string
  finishedAt?: string
}

export interface CreateRolloutInput {
  id: string
  environment: string
  service: string
  strategy: RolloutStrategy
  fromVersion?: string
  fromImage?: string
  toVersion: string
  image: string
  plan: RolloutStep[]
  analysis: AnalysisThresholds
  /** Blue-green: the colour currently serving (read from the active Service's selector). */
  activeColor?: Color
  startedBy: {user: string; host: string}
  git?: {commit: string; branch: string; dirty: boolean}
}

export function otherColor(color: Color): Color {
  return color === 'blue' ? 'green' : 'blue'
}

/**
 * A new rollout record in phase Pending. Canary and blue-green need a running previous version to
 * shift traffic from and to fall back on, so a service's first deploy must be rolling.
 */
export function createRolloutState(input: CreateRolloutInput, now: number): RolloutState {
  if (input.plan.length === 0) throw new RangeError('a rollout plan needs at least one step')
  if (input.strategy !== 'rolling' && input.fromVersion === undefined) {
    throw new UsageError(`${input.service} is not running in ${input.environment} yet: a first deploy cannot be ${input.strategy}`, {
      hint: 'deploy it once with --rolling, then use --canary or --blue-green for the next versions',
    })
  }
  const at = new Date(now).toISOString()
  return {
    schemaVersion: ROLLOUT_STATE_SCHEMA_VERSION,
    id: input.id,
    environment: input.environment,
    service: input.service,
    strategy: input.strategy,
    fromVersion: input.fromVersion,
    fromImage: input.fromImage,
    toVersion: input.toVersion,
    image: input.image,
    plan: input.plan,
    currentStepIndex: 0,
    phase: 'Pending',
    currentWeight: 0,
    analysis: input.analysis,
    analysisRuns: [],
    stepStartedAt: at,
    message: `${input.strategy} rollout of ${input.service} ${input.fromVersion ?? '(none)'} -> ${input.toVersion} created`,
    colors: input.strategy === 'blue-green' ? {from: input.activeColor ?? 'blue', to: otherColor(input.activeColor ?? 'blue')} : undefined,
    startedBy: input.startedBy,
    git: input.git,
    createdAt: at,
    updatedAt: at,
  }
}

export function isTerminal(state: Pick<RolloutState, 'phase'>): boolean {
  return TERMINAL_PHASES.includes(state.phase)
}

export function isInProgress(state: Pick<RolloutState, 'phase'>): boolean {
  return IN_PROGRESS_PHASES.includes(state.phase)
}
