import {valueAt} from '../local-cluster/api-server/ssa/field-set.js'
import type {KubeObject} from '../kube/types.js'
import type {FieldPath} from './field-path.js'

/**
 * Pure: a JSON patch (RFC 6902) that removes hand-added fields from the live object.
 *
 * Server-side apply cannot do it: apply never removes a field another manager owns, and applying
 * the same value only shares ownership (the Kubernetes docs, "Server-Side Apply: conflicts").
 * A write that removes the field takes it out of every manager's set, after which mygate's apply
 * converges the rest. Each removal is guarded by a `test` of the value it removes, so if the
 * object changed since the diff (a list index moved) the patch fails instead of removing the
 * wrong item. Removals inside one list run from the highest index down.
 *
 * Example: live env [{name: A}, {name: FOO, value: '1'}], path …/f:env/k:{"name":"FOO"} ->
 *   [{op: test, path: /spec/template/spec/containers/0/env/1, value: {name: FOO, value: '1'}},
 *    {op: remove, path: /spec/template/spec/containers/0/env/1}]
 */
export type JsonPatchOperation = {op: 'test'; path: string; value: unknown} | {op: 'remove'; path: string}

export function removalPatch(live: KubeObject, paths: readonly FieldPath[]): JsonPatchOperation[] {
  const pointers: Array<{pointer: string[]; value: unknown}> = []
  for (const path of paths) {
    const value = valueAt(live, path)
    const pointer = pointerOf(live, path)
    if (value !== undefined && pointer) pointers.push({pointer, value})
  }
  // Deepest and highest index first, so earlier removals never shift later ones.
  pointers.sort((a, b) => comparePointers(b.pointer, a.pointer))
  return pointers.flatMap(({pointer, value}) => {
    const path = '/' + pointer.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')
    return [
      {op: 'test' as const, path, value},
      {op: 'remove' as const, path},
    ]
  })
}

function pointerOf(live: unknown, path: FieldPath): string[] | undefined {
  const out: string[] = []
  let node: unknown = live
  for (const segment of path) {
    const body = segment.slice(2)
    if (segment.startsWith('f:')) {
      out.push(body)
      node = (node as Record<string, unknown> | undefined)?.[body]
    } else if (segment.startsWith('k:') || segment.startsWith('v:')) {
      if (!Array.isArray(node)) return undefined
      const wanted = JSON.parse(body) as unknown
      const index = segment.startsWith('k:')
        ? node.findIndex((item) => Object.entries(wanted as Record<string, unknown>).every(([k, v]) => JSON.stringify((item as Record<string, unknown>)?.[k]) === JSON.stringify(v)))
        : node.findIndex((item) => JSON.stringify(item) === JSON.stringify(wanted))
      if (index === -1) return undefined
      out.push(String(index))
      node = node[index]
    } else return undefined
  }
  return out
}

function comparePointers(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue
    const [x, y] = [Number(a[i]), Number(b[i])]
    if (Number.isInteger(x) && Number.isInteger(y)) return x - y
    return a[i].localeCompare(b[i])
  }
  return a.length - b.length
}
