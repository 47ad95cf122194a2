import type {KubeObject} from '../../kube/types.js'
import {isPodActive} from '../controllers/pod-state.js'
import {PODS, SECRETS} from '../controllers/resources.js'
import type {LocalObjectStore} from '../store/object-store.js'
import {SERVICE_LABEL} from '../faults/types.js'

/**
 * Which replica set a simulated service writes to: the set its pods' connection string names.
 * A MyGate app reads `MONGODB_URI` from a Secret (secretKeyRef), and a replica-set URI names the
 * set (`replicaSet=`); the driver only talks to members of that set. Kubernetes resolves a
 * secretKeyRef when the container starts and never again
 * (https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables:
 * "environment variables are not updated after a Secret is updated"), so the target is resolved
 * once per pod and kept for the pod's life: a service whose Secret changed keeps writing to the
 * old set until its pods are replaced, as a real one would. A pod without such a URI (or whose
 * Secret is unreadable) writes to `SERVICE-db`, the descriptor convention.
 */

const URI_ENV = 'MONGODB_URI'

interface EnvVar {
  name: string
  valueFrom?: {secretKeyRef?: {name?: string; key?: string}}
}

/** The set named by `replicaSet=` in the Secret the pod's MONGODB_URI comes from, if any. */
export function podWriteTarget(store: LocalObjectStore, pod: KubeObject): string | undefined {
  const containers = ((pod.spec as {containers?: Array<{env?: EnvVar[]}>} | undefined)?.containers ?? [])
  for (const container of containers) {
    const ref = container.env?.find((e) => e.name === URI_ENV)?.valueFrom?.secretKeyRef
    if (!ref?.name || !ref.key) continue
    const secret = store.getShared(SECRETS, String(pod.metadata.namespace), ref.name)
    const encoded = (secret?.data as Record<string, string> | undefined)?.[ref.key]
    if (!encoded) return undefined
    const uri = Buffer.from(encoded, 'base64').toString('utf8')
    const query = uri.split('?')[1]
    return query ? (new URLSearchParams(query).get('replicaSet') ?? undefined) : undefined
  }
  return undefined
}

/**
 * How one service's writes split between sets: the share of its active pods that target each.
 * `resolved` caches each pod's target by uid (the value at its start); the caller forgets a uid
 * when its pod is deleted.
 */
export function serviceWriteShares(store: LocalObjectStore, namespace: string, service: string, resolved: Map<string, string>): Map<string, number> {
  const pods = store.listShared(PODS, {namespace}).items.filter((pod) => pod.metadata.labels?.[SERVICE_LABEL] === service && isPodActive(pod))
  const shares = new Map<string, number>()
  for (const pod of pods) {
    const uid = String(pod.metadata.uid)
    let target = resolved.get(uid)
    if (target === undefined) {
      target = podWriteTarget(store, pod) ?? `${service}-db`
      resolved.set(uid, target)
    }
    shares.set(target, (shares.get(target) ?? 0) + 1 / pods.length)
  }
  if (shares.size === 0) shares.set(`${service}-db`, 1)
  return shares
}
