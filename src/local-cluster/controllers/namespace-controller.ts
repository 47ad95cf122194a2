import type {KubeObject} from '../../kube/types.js'
import {NAMESPACES} from './resources.js'
import type {ControllerContext, ControllerDefinition} from './runtime.js'

export const NAMESPACE_FINALIZER = 'kubernetes'
/** While content remains, look again this often (deletes in the namespace are not watched here). */
const CONTENT_POLL_MS = 20

/**
 * Empties a namespace marked for deletion (the store has set deletionTimestamp and phase
 * Terminating): deletes every namespaced object in it, and once nothing is left removes the
 * `kubernetes` finalizer from spec.finalizers, after which the store removes the namespace.
 */
export function namespaceController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  return {
    name: 'namespace',
    watches: [{ref: NAMESPACES, keys: (event) => (event.type !== 'DELETED' && event.object.metadata.deletionTimestamp ? [`/${event.object.metadata.name}`] : [])}],
    reconcile(key) {
      const name = key.slice(1)
      const namespace = store.get(NAMESPACES, undefined, name)
      if (!namespace?.metadata.deletionTimestamp) return
      let remaining = 0
      for (const type of store.types()) {
        if (!type.namespaced) continue
        for (const object of store.list(type, {namespace: name}).items) {
          remaining++
          if (!object.metadata.deletionTimestamp) {
            store.delete(type, name, object.metadata.name as string, {propagationPolicy: 'Background', preconditions: {uid: object.metadata.uid}})
          }
        }
      }
      if (remaining > 0) return {requeueAfterMs: CONTENT_POLL_MS}
      const spec = (namespace.spec ?? {}) as {finalizers?: string[]}
      const metaFinalizers = namespace.metadata.finalizers ?? []
      if (!(spec.finalizers ?? []).includes(NAMESPACE_FINALIZER) && !metaFinalizers.includes(NAMESPACE_FINALIZER)) return
      const next: KubeObject = {
        ...namespace,
        metadata: {...namespace.metadata, finalizers: metaFinalizers.filter((f) => f !== NAMESPACE_FINALIZER)},
        spec: {...spec, finalizers: (spec.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER)},
      }
      store.update(NAMESPACES, next)
    },
  }
}
