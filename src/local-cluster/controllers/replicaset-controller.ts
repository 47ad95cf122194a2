import {applyActions} from './actions.js'
import {isControlledBy, keyOf, ownerKey, splitKey} from './owner-refs.js'
import {reconcileReplicaSet} from './replicaset-sync.js'
import {PODS, REPLICASETS} from './resources.js'
import type {ControllerContext, ControllerDefinition} from './runtime.js'

/** How soon a ReplicaSet whose pod create was rejected tries again (upstream backs off exponentially). */
export const FAILED_CREATE_RETRY_MS = 1000

/** Watches ReplicaSets and their pods; the decisions are in replicaset-sync.ts. */
export function replicaSetController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  /** The API's message for the last pod create each ReplicaSet had rejected. */
  const createFailures = new Map<string, string>()
  return {
    name: 'replicaset',
    watches: [
      {ref: REPLICASETS, keys: (event) => [keyOf(event.object)]},
      {ref: PODS, keys: (event) => ownerKey(event.object, 'ReplicaSet')},
    ],
    reconcile(key) {
      const {namespace, name} = splitKey(key)
      const rs = store.get(REPLICASETS, namespace, name)
      if (!rs) {
        createFailures.delete(key)
        return
      }
      const pods = store.list(PODS, {namespace}).items.filter((pod) => isControlledBy(pod, rs.metadata.uid))
      const result = reconcileReplicaSet(rs, pods, context.clock(), createFailures.get(key))
      const outcome = applyActions(store, result.actions)
      if (outcome.rejected) {
        // Show it in status on the next pass, and try again after a back-off (quota may free up).
        const changed = createFailures.get(key) !== outcome.rejected.message
        createFailures.set(key, outcome.rejected.message)
        return {requeueAfterMs: changed ? 0 : FAILED_CREATE_RETRY_MS}
      }
      if (createFailures.delete(key)) return {requeueAfterMs: 0}
      return {requeueAfterMs: result.requeueAfterMs}
    },
  }
}
