import {applyActions} from './actions.js'
import {NAMESPACES, SERVICEACCOUNTS} from './resources.js'
import type {ControllerContext, ControllerDefinition} from './runtime.js'

/** The serviceaccount controller (upstream pkg/controller/serviceaccount): every namespace has a `default` ServiceAccount. */
export function serviceAccountController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  return {
    name: 'serviceaccount',
    watches: [
      {ref: NAMESPACES, keys: (event) => (event.type === 'DELETED' ? [] : [String(event.object.metadata.name)])},
      // Deleting `default` brings it back, as upstream.
      {ref: SERVICEACCOUNTS, keys: (event) => (event.type === 'DELETED' && event.object.metadata.name === 'default' ? [String(event.object.metadata.namespace)] : [])},
    ],
    reconcile(namespace) {
      const ns = store.get(NAMESPACES, undefined, namespace)
      if (!ns || ns.metadata.deletionTimestamp || store.get(SERVICEACCOUNTS, namespace, 'default')) return
      applyActions(store, [{type: 'create', ref: SERVICEACCOUNTS, object: {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'default', namespace}}}])
    },
  }
}
