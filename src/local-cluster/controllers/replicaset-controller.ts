import {applyActions} from './actions.js'
import {isControlledBy, keyOf, ownerKey, splitKey} from './owner-refs.js'
import {reconcileReplicaSet} from './replicaset-sync.js'
import {PODS, REPLICASETS} from './resources.js'
import type {ControllerContext, ControllerDefinition} from './runtime.js'

/** Watches ReplicaSets and their pods; the decisions are in replicaset-sync.ts. */
export function replicaSetController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  return {
    name: 'replicaset',
    watches: [
      {ref: REPLICASETS, keys: (event) => [keyOf(event.object)]},
      {ref: PODS, keys: (event) => ownerKey(event.object, 'ReplicaSet')},
    ],
    reconcile(key) {
      const {namespace, name} = splitKey(key)
      const rs = store.get(REPLICASETS, namespace, name)
      if (!rs) return
      const pods = store.list(PODS, {namespace}).items.filter((pod) => isControlledBy(pod, rs.metadata.uid))
      const result = reconcileReplicaSet(rs, pods, context.clock())
      applyActions(store, result.actions)
      return {requeueAfterMs: result.requeueAfterMs}
    },
  }
}
