import type {KubeObject} from '../../kube/types.js'
import {formatQuantity} from '../compute-resources/quantity.js'
import {namespaceUsage} from '../quota/usage.js'
import {applyActions, sameJson} from './actions.js'
import {keyOf, objectKey, splitKey} from './owner-refs.js'
import {CONFIGMAPS, PODS, PVCS, RESOURCEQUOTAS, SECRETS, SERVICES} from './resources.js'
import type {ControllerContext, ControllerDefinition} from './runtime.js'

/** Object counts of types not watched here (count/deployments.apps...) are refreshed this often. */
const COUNT_RESYNC_MS = 5000
const WATCHED_COUNTS = new Set(['count/pods', 'count/persistentvolumeclaims', 'count/services', 'count/secrets', 'count/configmaps'])

/**
 * The quota controller (upstream pkg/controller/resourcequota): keeps each ResourceQuota's
 * status current, `hard` as the spec says and `used` summed from the namespace's objects, so
 * `kubectl describe quota` shows real figures. Admission does not depend on it (see
 * admission/resource-quota.ts).
 */
export function resourceQuotaController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  const quotasIn = (namespace: string | undefined): string[] =>
    namespace === undefined ? [] : store.list(RESOURCEQUOTAS, {namespace}).items.map((quota) => objectKey(namespace, quota.metadata.name))
  const charging = (event: {object: KubeObject}) => quotasIn(event.object.metadata.namespace)
  return {
    name: 'resourcequota',
    watches: [
      {ref: RESOURCEQUOTAS, keys: (event) => (event.type === 'DELETED' ? [] : [keyOf(event.object)])},
      {ref: PODS, keys: charging},
      {ref: PVCS, keys: charging},
      {ref: SERVICES, keys: charging},
      {ref: SECRETS, keys: charging},
      {ref: CONFIGMAPS, keys: charging},
    ],
    reconcile(key) {
      const {namespace, name} = splitKey(key)
      const quota = store.get(RESOURCEQUOTAS, namespace, name)
      if (!quota || namespace === undefined) return
      const hard = ((quota.spec as {hard?: Record<string, string>} | undefined)?.hard ?? {}) as Record<string, string>
      const names = Object.keys(hard)
      const used = namespaceUsage((ref, ns) => (store.typeFor(ref) ? store.list(ref, {namespace: ns}).items : []), namespace, names, context.clock())
      const status = {hard: {...hard}, used: Object.fromEntries(names.map((n) => [n, formatQuantity(used[n])]))}
      if (!sameJson(quota.status, status)) applyActions(store, [{type: 'updateStatus', ref: RESOURCEQUOTAS, object: {...quota, status}}])
      return names.some((n) => n.startsWith('count/') && !WATCHED_COUNTS.has(n)) ? {requeueAfterMs: COUNT_RESYNC_MS} : undefined
    },
  }
}
