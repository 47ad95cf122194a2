import {ConflictError, NotFoundError} from '../../src/errors.js'
import type {WatchEvent} from '../../src/kube/api.js'
import type {KubeObject} from '../../src/kube/types.js'
import type {KubeApi} from '../../src/kube/api.js'

/**
 * An in-memory KubeApi (src/kube/api.ts) for unit tests, with the API
 * server's concurrency rule: a replace whose resourceVersion is not the stored one is a 409.
 * `beforeReplace` lets a test write "from another machine" between a read and a write.
 *
 * Watches behave as the API server's do for what the rollout watches (one kind in one namespace,
 * `metadata.name=` field selectors, `key=value,...` label selectors): every write is delivered to
 * the matching watches, and before the write's own response, the order a client sees when the
 * watch event overtakes the reply.
 */
export interface FakeKube extends KubeApi {
  requestCount: number
  objects: Map<string, KubeObject>
  patches: Array<{kind: string; name: string; patch: unknown}>
  beforeReplace?: (object: KubeObject) => void
  /** Stores the object with a new resourceVersion, as a write from anywhere, and notifies the watches. */
  put(object: KubeObject): KubeObject
  /** Watches open now. */
  readonly openWatches: number
}

interface FakeWatch {
  kind: string
  namespace: string
  name?: string
  labels: Array<[string, string]>
  onEvent: (event: WatchEvent) => void
}

const keyOf = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ''}/${name}`

export function fakeKube(): FakeKube {
  let version = 100
  const objects = new Map<string, KubeObject>()
  const watches = new Set<FakeWatch>()
  const notify = (type: WatchEvent['type'], object: KubeObject) => {
    for (const watch of [...watches]) {
      if (watch.kind !== object.kind || watch.namespace !== (object.metadata.namespace ?? '')) continue
      if (watch.name !== undefined && watch.name !== object.metadata.name) continue
      if (!watch.labels.every(([key, value]) => object.metadata.labels?.[key] === value)) continue
      watch.onEvent({type, object: structuredClone(object)})
    }
  }
  const fake: FakeKube = {
    objects,
    patches: [],
    requestCount: 0,
    get openWatches() {
      return watches.size
    },
    put(object) {
      const key = keyOf(object.kind, object.metadata.namespace, String(object.metadata.name))
      const existed = objects.has(key)
      const stored = structuredClone({...object, metadata: {...object.metadata, resourceVersion: String(++version)}})
      objects.set(key, stored)
      notify(existed ? 'MODIFIED' : 'ADDED', stored)
      return structuredClone(stored)
    },
    async get(_apiVersion, kind, name, namespace) {
      fake.requestCount++
      const found = objects.get(keyOf(kind, namespace, name))
      return (found ? structuredClone(found) : undefined) as never
    },
    async create(object) {
      fake.requestCount++
      if (objects.has(keyOf(object.kind, object.metadata.namespace, String(object.metadata.name)))) throw new ConflictError(`${object.kind} ${object.metadata.name} already exists`)
      return fake.put(object) as never
    },
    async replace(object) {
      fake.requestCount++
      fake.beforeReplace?.(object)
      const current = objects.get(keyOf(object.kind, object.metadata.namespace, String(object.metadata.name)))
      if (!current) throw new NotFoundError(`${object.kind} ${object.metadata.name} not found`)
      if (object.metadata.resourceVersion !== current.metadata.resourceVersion) throw new ConflictError('the object has been modified')
      return fake.put(object) as never
    },
    async apply(object) {
      fake.requestCount++
      return fake.put(object) as never
    },
    async mergePatch(ref, patch) {
      fake.requestCount++
      fake.patches.push({kind: ref.kind, name: ref.name, patch})
      const current = objects.get(keyOf(ref.kind, ref.namespace, ref.name))
      if (!current) throw new NotFoundError(`${ref.kind} ${ref.name} not found`)
      return fake.put(merge(current, patch) as KubeObject) as never
    },
    async strategicMergePatch(ref, patch) {
      fake.requestCount++
      fake.patches.push({kind: ref.kind, name: ref.name, patch})
      const current = objects.get(keyOf(ref.kind, ref.namespace, ref.name))
      if (!current) throw new NotFoundError(`${ref.kind} ${ref.name} not found`)
      return fake.put(merge(current, patch, true) as KubeObject) as never
    },
    async delete() {
      fake.requestCount++
      return true
    },
    async list(_apiVersion, kind, options = {}) {
      fake.requestCount++
      // Equality-based label selectors (`key=value`, or `key` for "has the label"), as the API server reads them.
      const terms = String(options.labelSelector ?? '')
        .split(',')
        .filter((term) => term !== '')
        .map((term) => term.split('='))
      const items = [...objects.values()].filter(
        (object) =>
          object.kind === kind &&
          (options.namespace === undefined || object.metadata.namespace === options.namespace) &&
          terms.every(([key, value]) => (value === undefined ? object.metadata.labels?.[key] !== undefined : object.metadata.labels?.[key] === value)),
      )
      return {items: structuredClone(items) as never, resourceVersion: String(version)}
    },
    async resourceFor(_apiVersion, kind) {
      return {plural: `${kind.toLowerCase()}s`, namespaced: kind !== 'Namespace'}
    },
    async reachable() {
      return {reachable: true}
    },
    async pathFor(ref) {
      return `/fake/${ref.kind}/${ref.namespace ?? ''}/${ref.name ?? ''}`
    },
    async request() {
      fake.requestCount++
      return undefined as never
    },
    async raw() {
      fake.requestCount++
      return {status: 200, body: ''}
    },
    watch(path, query, onEvent) {
      fake.requestCount++
      // Paths come from pathFor above: /fake/KIND/NAMESPACE/
      const [, , kind, namespace] = path.split('/')
      const name = /^metadata\.name=(.+)$/.exec(String(query.fieldSelector ?? ''))?.[1]
      const labels = String(query.labelSelector ?? '')
        .split(',')
        .filter((term) => term !== '')
        .map((term) => term.split('=') as [string, string])
      const watch: FakeWatch = {kind, namespace, name, labels, onEvent: onEvent as (event: WatchEvent) => void}
      watches.add(watch)
      let ended!: () => void
      const done = new Promise<void>((resolve) => (ended = resolve))
      return {
        stop() {
          watches.delete(watch)
          ended()
        },
        done,
      }
    },
  }
  return fake
}

/** A JSON merge patch; with `byName`, lists of named items merge by name (a strategic merge patch, simplified). */
function merge(target: unknown, patch: unknown, byName = false): unknown {
  if (byName && Array.isArray(patch) && Array.isArray(target) && patch.every((item) => typeof item?.name === 'string')) {
    const out = [...target]
    for (const item of patch) {
      const at = out.findIndex((existing) => existing?.name === item.name)
      if (at === -1) out.push(item)
      else out[at] = merge(out[at], item, byName)
    }
    return out
  }
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? {...(target as Record<string, unknown>)} : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key]
    else out[key] = merge(out[key], value, byName)
  }
  return out
}
