import {applyActions} from './actions.js'
import {reconcileCronJob} from './cronjob-sync.js'
import {isControlledBy, keyOf, ownerKey, splitKey} from './owner-refs.js'
import {CRONJOBS, JOBS} from './resources.js'
import type {ControllerContext, ControllerDefinition} from './runtime.js'

/** Longest single wait, so a clock that jumps (tests, a suspended laptop) is noticed soon. */
const MAX_WAIT_MS = 10_000

/** Watches CronJobs and their Jobs; the decisions are in cronjob-sync.ts. */
export function cronJobController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  return {
    name: 'cronjob',
    watches: [
      {ref: CRONJOBS, keys: (event) => [keyOf(event.object)]},
      {ref: JOBS, keys: (event) => ownerKey(event.object, 'CronJob')},
    ],
    reconcile(key) {
      const {namespace, name} = splitKey(key)
      const cronJob = store.get(CRONJOBS, namespace, name)
      if (!cronJob) return
      const jobs = store.list(JOBS, {namespace}).items.filter((job) => isControlledBy(job, cronJob.metadata.uid))
      const result = reconcileCronJob(cronJob, jobs, context.clock())
      if (result.error) context.log('warn', `cronjob ${key}: ${result.error}`)
      applyActions(store, result.actions)
      return {requeueAfterMs: Math.min(result.requeueAfterMs ?? MAX_WAIT_MS, MAX_WAIT_MS)}
    },
  }
}
