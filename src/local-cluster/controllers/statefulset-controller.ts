import {applyActions} from './actions.js'
import {FAILED_CREATE_RETRY_MS} from './replicaset-controller.js'
import {isControlledBy, keyOf, ownerKey, splitKey} from './owner-refs.js'
import {PODS, PVCS, STATEFULSETS} from './resources.js'
import type {ControllerContext, ControllerDefinition} from './runtime.js'
import {reconcileStatefulSet} from './statefulset-sync.js'

/** Watches StatefulSets and their pods; the decisions are in statefulset-sync.ts. */
export function statefulSetController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  return {
    name: 'statefulset',
    watches: [
      {ref: STATEFULSETS, keys: (event) => [keyOf(event.object)]},
      {ref: PODS, keys: (event) => ownerKey(event.object, 'StatefulSet')},
    ],
    reconcile(key) {
      const {namespace, name} = splitKey(key)
      const sts = store.get(STATEFULSETS, namespace, name)
      if (!sts) return
      const pods = store.list(PODS, {namespace}).items.filter((pod) => isControlledBy(pod, sts.metadata.uid))
      const claims = store.typeFor(PVCS) ? store.list(PVCS, {namespace}).items : []
      const result = reconcileStatefulSet(sts, pods, claims, context.clock())
      const outcome = applyActions(store, result.actions)
      // A rejected create (quota, Pod Security...) is retried after a back-off, as upstream.
      if (outcome.rejected) return {requeueAfterMs: Math.min(result.requeueAfterMs ?? Infinity, FAILED_CREATE_RETRY_MS)}
      return result.requeueAfterMs === undefined ? undefined : {requeueAfterMs: result.requeueAfterMs}
    },
  }
}
