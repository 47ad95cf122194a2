import {applyActions} from './actions.js'
import {FAILED_CREATE_RETRY_MS} from './replicaset-controller.js'
import {reconcileJob} from './job-sync.js'
import {isControlledBy, keyOf, ownerKey, splitKey} from './owner-refs.js'
import {JOBS, PODS} from './resources.js'
import type {ControllerContext, ControllerDefinition} from './runtime.js'

/** Watches Jobs and their pods; the decisions are in job-sync.ts. */
export function jobController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  return {
    name: 'job',
    watches: [
      {ref: JOBS, keys: (event) => [keyOf(event.object)]},
      {ref: PODS, keys: (event) => ownerKey(event.object, 'Job')},
    ],
    reconcile(key) {
      const {namespace, name} = splitKey(key)
      const job = store.get(JOBS, namespace, name)
      if (!job || job.metadata.deletionTimestamp) return
      const pods = store.list(PODS, {namespace}).items.filter((pod) => isControlledBy(pod, job.metadata.uid))
      const result = reconcileJob(job, pods, context.clock())
      const outcome = applyActions(store, result.actions)
      // A rejected create (quota, Pod Security...) is retried after a back-off, as upstream.
      if (outcome.rejected) return {requeueAfterMs: Math.min(result.requeueAfterMs ?? Infinity, FAILED_CREATE_RETRY_MS)}
      return result.requeueAfterMs === undefined ? undefined : {requeueAfterMs: result.requeueAfterMs}
    },
  }
}
