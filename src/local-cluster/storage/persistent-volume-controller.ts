import type {KubeObject} from '../../kube/types.js'
import {applyActions} from '../controllers/actions.js'
import {keyOf, objectKey, splitKey} from '../controllers/owner-refs.js'
import {PERSISTENTVOLUMES, PODS, PVCS, STORAGECLASSES} from '../controllers/resources.js'
import type {ControllerContext, ControllerDefinition} from '../controllers/runtime.js'
import {reconcileClaim, reconcileVolume} from './volume-binding.js'

const CLAIM = 'claim:'
const VOLUME = 'volume:'

const claimNamesOf = (pod: KubeObject): string[] =>
  ((pod.spec as {volumes?: Array<{persistentVolumeClaim?: {claimName?: string}}>} | undefined)?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : []))

/**
 * The persistent-volume controller with a simulated provisioner (decisions in
 * volume-binding.ts): binds claims as they appear, retries pending claims when a StorageClass
 * or volume appears, binds WaitForFirstConsumer claims once a pod using them is scheduled, and
 * reclaims volumes whose claims are gone.
 */
export function persistentVolumeController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  const unboundClaims = () =>
    store
      .list(PVCS)
      .items.filter((claim) => !(claim.spec as {volumeName?: string} | undefined)?.volumeName)
      .map((claim) => `${CLAIM}${keyOf(claim)}`)
  return {
    name: 'persistentvolume',
    watches: [
      {ref: PVCS, keys: (event) => [`${CLAIM}${keyOf(event.object)}`, ...volumesOfClaim(event.object)]},
      {ref: PERSISTENTVOLUMES, keys: (event) => (event.type === 'DELETED' ? [] : [`${VOLUME}${event.object.metadata.name}`, ...unboundClaims()])},
      {ref: STORAGECLASSES, keys: () => unboundClaims()},
      // A pod scheduled onto a node is the first consumer WaitForFirstConsumer claims wait for.
      {ref: PODS, keys: (event) => ((event.object.spec as {nodeName?: string} | undefined)?.nodeName ? claimNamesOf(event.object).map((name) => `${CLAIM}${objectKey(event.object.metadata.namespace, name)}`) : [])},
    ],
    reconcile(key) {
      if (key.startsWith(VOLUME)) {
        const volume = store.get(PERSISTENTVOLUMES, undefined, key.slice(VOLUME.length))
        if (!volume) return
        const ref = (volume.spec as {claimRef?: {namespace?: string; name?: string}} | undefined)?.claimRef
        const claim = ref?.name ? store.get(PVCS, ref.namespace, ref.name) : undefined
        applyActions(store, reconcileVolume(volume, claim))
        return
      }
      const {namespace, name} = splitKey(key.slice(CLAIM.length))
      const claim = store.get(PVCS, namespace, name)
      if (!claim) return
      const consumerScheduled = store
        .list(PODS, {namespace})
        .items.some((pod) => (pod.spec as {nodeName?: string} | undefined)?.nodeName && claimNamesOf(pod).includes(name))
      applyActions(
        store,
        reconcileClaim(claim, {
          storageClass: (className) => store.get(STORAGECLASSES, undefined, className),
          volumes: store.list(PERSISTENTVOLUMES).items,
          consumerScheduled,
          now: context.clock(),
        }),
      )
    },
  }

  /** A claim deleted (or replaced) lets its volume be reclaimed. */
  function volumesOfClaim(claim: KubeObject): string[] {
    return store
      .list(PERSISTENTVOLUMES)
      .items.filter((volume) => {
        const ref = (volume.spec as {claimRef?: {namespace?: string; name?: string}} | undefined)?.claimRef
        return ref?.namespace === claim.metadata.namespace && ref?.name === claim.metadata.name
      })
      .map((volume) => `${VOLUME}${volume.metadata.name}`)
  }
}
