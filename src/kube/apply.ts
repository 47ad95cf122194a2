import type {KubeApi} from './api.js'
import {kindRank, sortObjects} from './apply-order.js'
import type {KubeObject} from './types.js'

export type ApplyAction = 'created' | 'configured' | 'unchanged'

export interface AppliedObject {
  kind: string
  namespace?: string
  name: string
  action: ApplyAction
}

/**
 * Server-side applies objects (field manager `mygate`) and says what changed for each.
 * One list per kind and namespace beforehand tells created from configured; an apply that leaves
 * the resourceVersion as it was changed nothing (the API server skips no-op writes).
 * Objects are applied in the one apply order (apply-order.ts), one kind at a time (unlisted kinds
 * together), the objects of a kind concurrently.
 */
export async function applyObjects(
  client: KubeApi,
  objects: KubeObject[],
  options: {concurrency?: number; onApplied?: (applied: AppliedObject) => void} = {},
): Promise<AppliedObject[]> {
  const ordered = sortObjects(objects)
  const before = new Map<string, string>()
  const listed = new Set<string>()
  const results: AppliedObject[] = []
  const concurrency = options.concurrency ?? 8

  const objectKey = (o: {kind: string; metadata: {namespace?: string; name?: string}}) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`

  const learn = async (object: KubeObject) => {
    const group = `${object.apiVersion}|${object.kind}|${object.metadata.namespace ?? ''}`
    if (listed.has(group)) return
    listed.add(group)
    try {
      const list = await client.list(object.apiVersion, object.kind, {namespace: object.metadata.namespace})
      for (const item of list.items) before.set(objectKey({kind: object.kind, metadata: item.metadata}), String(item.metadata.resourceVersion))
    } catch {
      // The namespace or CRD may not exist yet; every object of the group then counts as created.
    }
  }

  // Batches of equal rank: a namespace must exist before objects inside it are applied.
  const batches: KubeObject[][] = []
  for (const object of ordered) {
    const last = batches.at(-1)
    if (last && last[0].kind === object.kind) last.push(object)
    else if (last && kindRank(last[0].kind) === kindRank(object.kind)) last.push(object)
    else batches.push([object])
  }
  for (const batch of batches) {
    for (const object of batch) await learn(object)
    let next = 0
    const worker = async () => {
      while (next < batch.length) {
        const object = batch[next++]
        const applied = await client.apply(object)
        const previous = before.get(objectKey(object))
        const action: ApplyAction =
          previous === undefined ? 'created' : previous === String(applied.metadata.resourceVersion) ? 'unchanged' : 'configured'
        const result = {kind: object.kind, namespace: object.metadata.namespace, name: String(object.metadata.name), action}
        results.push(result)
        options.onApplied?.(result)
      }
    }
    await Promise.all(Array.from({length: Math.min(concurrency, batch.length)}, worker))
  }
  return results
}
