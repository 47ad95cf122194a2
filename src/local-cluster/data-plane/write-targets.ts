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
  return podConnection(store, pod)?.set
}

/** The pod's connection string's set and credentials (`mongodb://USER:PASSWORD@...`), if any. */
export function podConnection(store: LocalObjectStore, pod: KubeObject): {set: string; user?: string; password?: string} | undefined {
  const containers = ((pod.spec as {containers?: Array<{env?: EnvVar[]}>} | undefined)?.containers ?? [])
  for (const container of containers) {
    const ref = container.env?.find((e) => e.name === URI_ENV)?.valueFrom?.secretKeyRef
    if (!ref?.name || !ref.key) continue
    const secret = store.getShared(SECRETS, String(pod.metadata.namespace), ref.name)
    const encoded = (secret?.data as Record<string, string> | undefined)?.[ref.key]
    if (!encoded) return undefined
    const uri = Buffer.from(encoded, 'base64').toString('utf8')
    const query = uri.split('?')[1]
    const set = query ? (new URLSearchParams(query).get('replicaSet') ?? undefined) : undefined
    if (!set) return undefined
    const auth = /^mongodb:\/\/([^:@/]*):([^@/]*)@/.exec(uri)
    return auth ? {set, user: decodeURIComponent(auth[1]), password: decodeURIComponent(auth[2])} : {set}
  }
  return undefined
}

/**
 * Whether set SET (by name, in the pod's cluster set) accepts USER with PASSWORD (SCRAM: the
 * session's PBKDF2 check). A set that does not exist (yet) or has no users answers true: there is
 * nothing to refuse with.
 */
export type Authenticates = (set: string, user: string, password: string) => boolean

/** A pod whose connection string's credentials were refused: its requests write nothing. */
const REFUSED = ''

/**
 * How one service's writes split between sets: the share of its active pods that target each.
 * `resolved` caches each pod's target by uid (the value at its start); the caller forgets a uid
 * when its pod is deleted.
 */
export function serviceWriteShares(store: LocalObjectStore, namespace: string, service: string, resolved: Map<string, string>, authenticates?: Authenticates): Map<string, number> {
  const pods = store.listShared(PODS, {namespace}).items.filter((pod) => pod.metadata.labels?.[SERVICE_LABEL] === service && isPodActive(pod))
  const shares = new Map<string, number>()
  for (const pod of pods) {
    const uid = String(pod.metadata.uid)
    let target = resolved.get(uid)
    if (target === undefined) {
      const connection = podConnection(store, pod)
      target = connection?.set ?? `${service}-db`
      // The driver authenticates when it connects: a pod whose credentials the set refuses writes nothing.
      if (connection?.user !== undefined && authenticates && !authenticates(connection.set, connection.user, connection.password ?? '')) target = REFUSED
      resolved.set(uid, target)
    }
    if (target !== REFUSED) shares.set(target, (shares.get(target) ?? 0) + 1 / pods.length)
  }
  // No pod (yet): the service's traffic is taken to be its own database's; refused pods write nothing.
  if (pods.length === 0) shares.set(`${service}-db`, 1)
  return shares
}
