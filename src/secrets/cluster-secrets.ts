import type {ApplyAction} from '../kube/apply.js'
import type {KubeClient} from '../kube/client.js'
import type {KubeObject} from '../kube/types.js'
import type {SecretSpec} from './secret-catalog.js'
import {observeSecret, type ObservedSecret} from './secret-object.js'

/**
 * The thin I/O around Secrets: read the copies in every region, server-side apply the planned
 * objects (field manager mygate), delete copies. Values stay in memory; nothing here prints.
 */

export type SecretsKube = Pick<KubeClient, 'list' | 'apply' | 'delete'>

/** Every copy of the named Secrets in every region (one list per namespace and region). */
export async function readSecrets(clients: ReadonlyMap<string, SecretsKube>, specs: readonly SecretSpec[]): Promise<ObservedSecret[]> {
  const names = new Set(specs.map((spec) => spec.name))
  const namespaces = [...new Set(specs.flatMap((spec) => spec.placements.map((p) => p.namespace)))].sort()
  const perRegion = await Promise.all(
    [...clients.entries()].map(async ([region, client]) => {
      const found: ObservedSecret[] = []
      for (const namespace of namespaces) {
        // A namespace that does not exist yet lists as empty, as on a real API server.
        const list = await client.list('v1', 'Secret', {namespace})
        for (const item of list.items) if (names.has(String(item.metadata.name))) found.push(observeSecret(region, item))
      }
      return found
    }),
  )
  return perRegion.flat()
}

export interface AppliedSecret {
  region: string
  namespace: string
  name: string
  action: ApplyAction
}

/** Applies the planned Secrets; an apply that leaves the resourceVersion as it was changed nothing. */
export async function applySecrets(
  clients: ReadonlyMap<string, SecretsKube>,
  objects: ReadonlyArray<{region: string; object: KubeObject}>,
  observed: readonly ObservedSecret[],
): Promise<AppliedSecret[]> {
  const results: AppliedSecret[] = []
  for (const {region, object} of objects) {
    const client = clients.get(region)
    if (!client) throw new Error(`no client for region ${region}`)
    const namespace = String(object.metadata.namespace)
    const name = String(object.metadata.name)
    const before = observed.find((o) => o.region === region && o.namespace === namespace && o.name === name)
    const applied = await client.apply(object)
    const action: ApplyAction =
      before === undefined ? 'created' : before.resourceVersion === String(applied.metadata.resourceVersion) ? 'unchanged' : 'configured'
    results.push({region, namespace, name, action})
  }
  return results
}

/** Deletes the given copies; returns the ones that were there to delete. */
export async function deleteSecretCopies(clients: ReadonlyMap<string, SecretsKube>, copies: readonly ObservedSecret[]): Promise<Array<{region: string; namespace: string}>> {
  const deleted: Array<{region: string; namespace: string}> = []
  for (const copy of copies) {
    const client = clients.get(copy.region)
    if (!client) continue
    if (await client.delete({apiVersion: 'v1', kind: 'Secret', name: copy.name, namespace: copy.namespace})) deleted.push({region: copy.region, namespace: copy.namespace})
  }
  return deleted
}
