import {LABEL_NAME, LABEL_TRACK, LABEL_VERSION, TRACK_CANARY, TRACK_STABLE} from '../render/labels.js'
import type {RolloutEvent} from '../rollout/state-machine.js'
import type {RolloutState} from '../rollout/state.js'
import {unexpected, type DriverContext, type StrategyDriver} from './strategy-driver.js'
import {canaryDeploymentName} from '../rollout/names.js'
import {meshRouter, replicaRatioRouter, type TrafficRouter} from '../traffic/traffic-router.js'
import {derivedDeployment, describeNotReady, requireDeployment, scaleDownIfExists, setDeploymentImage, waitDeploymentReady, type DeploymentShape} from './workloads.js'

/**
 * Canary: the rendered Deployment SERVICE is stable; the new version runs in SERVICE-canary (pod
 * labels track=canary, version=new), sized and weighted by the traffic router.
 * - setWeight: canary applied with the replicas the weight needs and waited ready, then traffic
 *   shifted (stable shrunk, or VirtualService weights);
 * - promote: stable takes the new image at its full size (its own rolling update), then traffic
 *   returns to stable and the canary is scaled to 0. The canary Deployment is KEPT at 0 replicas
 *   (not deleted): the next canary re-applies it, and `kubectl get deploy` shows where it was;
 * - rollback (traffic): everything back on stable at once, canary to 0; (previousVersion, after a
 *   promotion began or on undo): stable gets the previous image again.
 */
export function canaryDriver(context: DriverContext, service: string): StrategyDriver {
  const {client, io, report} = context
  const router: TrafficRouter =
    io.router === 'mesh'
      ? meshRouter({client, service, totalReplicas: io.totalReplicas})
      : replicaRatioRouter({client, service, totalReplicas: io.totalReplicas})
  let stable: DeploymentShape | undefined
  const stableDeployment = async (state: RolloutState) => (stable ??= await requireDeployment(client, service, state.environment))

  const unhealthy = (name: string, reason: string): RolloutEvent => ({type: 'podsUnhealthy', pods: [{name, reason}]})

  return {
    newPodsSelector: (state) => `${LABEL_NAME}=${service},${LABEL_TRACK}=${TRACK_CANARY},${LABEL_VERSION}=${state.toVersion}`,

    async perform(action, state) {
      switch (action.kind) {
        case 'setWeight': {
          const base = await stableDeployment(state)
          const replicas = router.replicasFor(action.weight)
          await client.apply(
            derivedDeployment(base, {name: canaryDeploymentName(service), track: TRACK_CANARY, image: state.image, version: state.toVersion, replicas: replicas.canary}),
          )
          const ready = await waitDeploymentReady(client, canaryDeploymentName(service), io.readyTimeoutMs)
          if (ready.verdict !== 'succeeded') return unhealthy(canaryDeploymentName(service), describeNotReady(ready))
          await router.shiftTraffic(action.weight)
          report(`weight ${action.weight}%: ${router.describe(action.weight)}`)
          return {type: 'stepCompleted'}
        }
        case 'promote': {
          const base = await stableDeployment(state)
          await setDeploymentImage(client, base, state.image, state.toVersion, io.totalReplicas)
          report(`promoting: ${service} (${TRACK_STABLE}) rolls to ${state.toVersion} with ${io.totalReplicas} replicas`)
          const ready = await waitDeploymentReady(client, service, io.readyTimeoutMs)
          if (ready.verdict !== 'succeeded') return unhealthy(service, describeNotReady(ready))
          await router.resetToStable()
          report(`promoted: stable runs ${state.toVersion}, canary scaled to 0`)
          return {type: 'stepCompleted'}
        }
        case 'rollback': {
          if (action.restore === 'traffic') {
            await router.resetToStable()
            report(`traffic back on stable ${state.fromVersion ?? ''}: canary scaled to 0`)
            return {type: 'rollbackCompleted'}
          }
          if (action.fromImage === undefined || action.fromVersion === undefined) {
            return {type: 'failed', reason: `no previous image recorded to roll ${service} back to`}
          }
          const base = await stableDeployment(state)
          await Promise.all([
            setDeploymentImage(client, base, action.fromImage, action.fromVersion, io.totalReplicas),
            scaleDownIfExists(client, canaryDeploymentName(service)),
          ])
          report(`redeploying ${action.fromVersion} on stable`)
          const ready = await waitDeploymentReady(client, service, io.readyTimeoutMs)
          if (ready.verdict !== 'succeeded') return {type: 'failed', reason: `rollback to ${action.fromVersion} did not become ready: ${describeNotReady(ready)}`}
          return {type: 'rollbackCompleted'}
        }
        default:
          throw unexpected('canary', action)
      }
    },
  }
}
