import {applyActions} from './actions.js'
import {reconcileDeployment} from './deployment-sync.js'
import {isControlledBy, keyOf, ownerKey, splitKey} from './owner-refs.js'
import {DEPLOYMENTS, REPLICASETS} from './resources.js'
import type {ControllerContext, ControllerDefinition} from './runtime.js'

/** Watches Deployments and their ReplicaSets; the decisions are in deployment-sync.ts. */
export function deploymentController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  return {
    name: 'deployment',
    watches: [
      {ref: DEPLOYMENTS, keys: (event) => [keyOf(event.object)]},
      {ref: REPLICASETS, keys: (event) => ownerKey(event.object, 'Deployment')},
    ],
    reconcile(key) {
      const {namespace, name} = splitKey(key)
      const deployment = store.get(DEPLOYMENTS, namespace, name)
      if (!deployment) return
      const replicaSets = store.list(REPLICASETS, {namespace}).items.filter((rs) => isControlledBy(rs, deployment.metadata.uid))
      const result = reconcileDeployment({
        deployment,
        replicaSets,
        now: context.clock(),
        progressDeadlineScale: context.timing.progressDeadlineScale,
      })
      applyActions(store, result.actions)
      return {requeueAfterMs: result.requeueAfterMs}
    },
  }
}
