import {unexpected, type DriverContext, type StrategyDriver} from './strategy-driver.js'
import {describeNotReady, requireDeployment, setDeploymentImage, waitDeploymentReady} from './workloads.js'

/**
 * Rolling: the Deployment's own rolling update (maxSurge/maxUnavailable from the rendered
 * template), watched to completion; a failure (crash loop, progress deadline, time-out) rolls
 * back by re-applying the previous image, which the Deployment rolls out the same way.
 */
export function rollingDriver(context: DriverContext, service: string): StrategyDriver {
  const {client, io, report} = context
  return {
    // waitHealthy watches the pods itself (waitForWorkloads fails fast on a crash loop).
    newPodsSelector: () => undefined,

    async perform(action, state) {
      switch (action.kind) {
        case 'updateDeployment': {
          const deployment = await requireDeployment(client, service, state.environment)
          await setDeploymentImage(client, deployment, state.image, state.toVersion)
          report(`${service}: pod template now runs ${state.image}`)
          return {type: 'stepCompleted'}
        }
        case 'waitHealthy': {
          const ready = await waitDeploymentReady(client, service, io.readyTimeoutMs)
          if (ready.verdict !== 'succeeded') return {type: 'podsUnhealthy', pods: [{name: service, reason: describeNotReady(ready)}]}
          report(`${service}: ${ready.message}`)
          return {type: 'stepCompleted'}
        }
        case 'rollback': {
          if (action.fromImage === undefined || action.fromVersion === undefined) {
            return {type: 'failed', reason: `no previous image recorded to roll ${service} back to`}
          }
          const deployment = await requireDeployment(client, service, state.environment)
          await setDeploymentImage(client, deployment, action.fromImage, action.fromVersion)
          report(`${service}: rolling back to ${action.fromImage}`)
          const ready = await waitDeploymentReady(client, service, io.readyTimeoutMs)
          if (ready.verdict !== 'succeeded') return {type: 'failed', reason: `rollback to ${action.fromVersion} did not become ready: ${describeNotReady(ready)}`}
          return {type: 'rollbackCompleted'}
        }
        default:
          throw unexpected('rolling', action)
      }
    },
  }
}
