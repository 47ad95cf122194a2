import {formatDuration} from '../duration.js'

/**
 * Rollout plans: the ordered steps a strategy goes through, as plain data. `--dry-run` prints
 * them (see `describeStep`), the state machine walks them, and the state in the cluster stores
 * them, so a resumed rollout follows exactly the plan it started with.
 */

export type RolloutStep =
  /** Canary: send `weight` percent of traffic to the new version. */
  | {kind: 'setWeight'; weight: number}
  /** Canary: let traffic run on the current weight for a while (bake time). */
  | {kind: 'pause'; durationMs: number}
  /** Wait until someone runs `mygate rollout promote`. */
  | {kind: 'pause'; untilPromoted: true}
  /** Measure the new version against the service's thresholds. `phase` is set for blue-green. */
  | {kind: 'analysis'; phase?: 'pre' | 'post'}
  /** Canary: the stable Deployment takes the new version, traffic returns to it, canary scaled to 0. */
  | {kind: 'promote'}
  /** Blue-green: the new colour starts beside the active one, reachable through the preview Service. */
  | {kind: 'deployPreview'}
  /** Blue-green: the active Service's selector moves to the new colour (one atomic update). */
  | {kind: 'switchActive'}
  /** Blue-green: the old colour is scaled to 0 once `afterMs` have passed since the switch. */
  | {kind: 'scaleDownOld'; afterMs: number}
  /** Rolling: the Deployment's pod template takes the new image (native rolling update). */
  | {kind: 'updateDeployment'}
  /** Rolling: wait until every replica runs the new version and is ready. */
  | {kind: 'waitHealthy'}

export type RolloutStepKind = RolloutStep['kind']

export interface CanaryPlanOptions {
  /** Weights in percent, strictly increasing, ending at 100 (see `parseCanarySteps`). */
  steps: number[]
  /** Bake time after each weight change; 0 omits the pause steps. */
  pauseMs: number
  /** Run an analysis after each weight (after the bake time, so the window sees that weight). */
  analysis: boolean
  /**
   * Stop after the first weight (and its analysis) until `mygate rollout promote`: a person looks
   * at the canary while it serves the least traffic, then lets the automation carry on.
   */
  manualApproval?: boolean
}

/**
 * Canary plan: for each weight, setWeight, then pause (when pauseMs > 0), then analysis (when
 * enabled); an approval pause after the first weight when asked; promote at the end. The weight
 * 100 gets its bake time and analysis like every other, so a plan of just [100] is still checked
 * before promotion.
 *
 *   planCanary({steps: [10, 100], pauseMs: 30_000, analysis: true}) =
 *     setWeight 10, pause 30s, analysis, setWeight 100, pause 30s, analysis, promote
 */
export function planCanary({steps, pauseMs, analysis, manualApproval = false}: CanaryPlanOptions): RolloutStep[] {
  if (steps.length === 0 || steps.at(-1) !== 100) {
    throw new RangeError(`canary steps must end at 100, got [${steps.join(', ')}]`)
  }
  const plan: RolloutStep[] = []
  steps.forEach((weight, index) => {
    plan.push({kind: 'setWeight', weight})
    if (pauseMs > 0) plan.push({kind: 'pause', durationMs: pauseMs})
    if (analysis) plan.push({kind: 'analysis'})
    if (manualApproval && index === 0 && weight < 100) plan.push({kind: 'pause', untilPromoted: true})
  })
  plan.push({kind: 'promote'})
  return plan
}

export interface BlueGreenPlanOptions {
  /** Analysis before the switch (against the preview) and after it (against live traffic). */
  analysis: boolean
  /** How long the old colour stays scaled after the switch, so `rollout undo` is instant. */
  scaleDownDelayMs: number
}

/**
 * Blue-green plan: deployPreview, analysis (pre), switchActive, analysis (post), scaleDownOld.
 * A failed post-promotion analysis switches back to the old colour, which is still running.
 */
export function planBlueGreen({analysis, scaleDownDelayMs}: BlueGreenPlanOptions): RolloutStep[] {
  return [
    {kind: 'deployPreview'},
    ...(analysis ? [{kind: 'analysis', phase: 'pre'} as const] : []),
    {kind: 'switchActive'},
    ...(analysis ? [{kind: 'analysis', phase: 'post'} as const] : []),
    {kind: 'scaleDownOld', afterMs: scaleDownDelayMs},
  ]
}

/** Rolling plan: the Deployment's own rolling update, watched until healthy. */
export function planRolling(): RolloutStep[] {
  return [{kind: 'updateDeployment'}, {kind: 'waitHealthy'}]
}

/** One line per step for `--dry-run` and `rollout status`: "set weight 25%", "pause 30s". */
export function describeStep(step: RolloutStep): string {
  switch (step.kind) {
    case 'setWeight':
      return `set weight ${step.weight}%`
    case 'pause':
      return 'untilPromoted' in step ? 'pause until promoted' : `pause ${formatDuration(step.durationMs)}`
    case 'analysis':
      return step.phase === undefined ? 'analysis' : `analysis (${step.phase}-promotion)`
    case 'promote':
      return 'promote: stable takes the new version, canary scaled to 0'
    case 'deployPreview':
      return 'deploy the new colour behind the preview Service'
    case 'switchActive':
      return 'switch the active Service to the new colour'
    case 'scaleDownOld':
      return `scale down the old colour after ${formatDuration(step.afterMs)}`
    case 'updateDeployment':
      return 'update the Deployment'
    case 'waitHealthy':
      return 'wait until every replica is ready'
  }
}
