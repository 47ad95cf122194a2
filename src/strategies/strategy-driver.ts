import type {RolloutAction, RolloutEvent} from '../rollout/state-machine.js'
import type {RolloutState} from '../rollout/state.js'
import type {KubeApi} from '../kube/api.js'
import type {RolloutIoSettings} from './rollout-store.js'

/**
 * A strategy driver carries out, in the cluster, the actions the state machine asks for, and
 * answers each with the event that acknowledges it (see state-machine.ts). Waits, analysis and
 * the pod watch are the executor's; a driver only moves workloads and traffic.
 */
export interface StrategyDriver {
  perform(action: Exclude<RolloutAction, {kind: 'wait' | 'waitForPromotion' | 'waitForResume' | 'runAnalysis' | 'done'}>, state: RolloutState): Promise<RolloutEvent>
  /**
   * Label selector (in the app namespace) of the new version's pods, watched while the rollout
   * runs so a crash loop rolls it back at once; undefined when there is nothing to watch.
   */
  newPodsSelector(state: RolloutState): string | undefined
}

export interface DriverContext {
  client: KubeApi
  io: RolloutIoSettings
  /** A progress line (stderr in the CLI). */
  report(line: string): void
}

/** A plain Error for an action a strategy does not know: a bug, never user input. */
export function unexpected(strategy: string, action: {kind: string}): Error {
  return new Error(`${strategy} driver: unexpected action ${action.kind}`)
}
