import type {KubeObject} from '../../kube/types.js'
import {sameJson} from './actions.js'
import {buildEndpoints, endpointSubsets} from './endpoints-sync.js'
import {keyOf, splitKey} from './owner-refs.js'
import {ENDPOINTS, PODS, SERVICES} from './resources.js'
import {apiErrorCode, type ControllerContext, type ControllerDefinition} from './runtime.js'

/** Keeps one Endpoints object per Service with a selector; see endpoints-sync.ts. */
export function endpointsController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  const servicesIn = (namespace: string | undefined): string[] => store.list(SERVICES, {namespace}).items.map(keyOf)
  return {
    name: 'endpoints',
    watches: [
      {ref: SERVICES, keys: (event) => [keyOf(event.object)]},
      // Any pod change in a namespace may move an address; the services there decide.
      {ref: PODS, keys: (event) => servicesIn(event.object.metadata.namespace)},
      {ref: ENDPOINTS, keys: (event) => (event.type === 'DELETED' ? [keyOf(event.object)] : [])},
    ],
    reconcile(key) {
      const {namespace, name} = splitKey(key)
      const service = store.get(SERVICES, namespace, name)
      const existing = store.get(ENDPOINTS, namespace, name)
      if (!service) {
        if (existing) store.delete(ENDPOINTS, namespace, name, {preconditions: {uid: existing.metadata.uid}})
        return
      }
      const subsets = endpointSubsets(service, store.list(PODS, {namespace}).items)
      if (subsets === undefined || service.metadata.deletionTimestamp) return
      const wanted = buildEndpoints(service, subsets)
      if (!existing) {
        try {
          store.create(ENDPOINTS, wanted)
        } catch (error) {
          if (apiErrorCode(error) !== 409) throw error
          return {requeueAfterMs: 0}
        }
        return
      }
      if (sameJson(existing.subsets ?? [], wanted.subsets ?? []) && sameJson(existing.metadata.labels ?? {}, wanted.metadata.labels ?? {})) return
      const next: KubeObject = {...existing, metadata: {...existing.metadata, labels: wanted.metadata.labels}}
      if (wanted.subsets) next.subsets = wanted.subsets
      else delete next.subsets
      store.update(ENDPOINTS, next)
    },
  }
}

