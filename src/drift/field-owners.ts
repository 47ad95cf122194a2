import type {FieldPath} from './field-path.js'

/**
 * Who set a live value, read from `metadata.managedFields` (the API server's FieldsV1 format:
 * a tree of `f:field`, `k:{merge key}`, `v:value` and `i:index` segments, `{}` marking a leaf and
 * `"."` marking the item itself; see the Kubernetes server-side apply docs, "Field management").
 *
 * A manager owns a path when its tree holds the path, or holds an ancestor of it as a leaf: an
 * atomic value (a Role's `rules`, a list without merge key) is owned whole. Several managers can
 * own one value (they applied the same value); the newest entry is named first.
 *
 * Worked example: a Deployment applied by mygate, then `kubectl set image`:
 *   mygate      Apply   {f:spec: {f:template: {f:spec: {f:containers: {k:{"name":"api"}: {f:env: {}}}}}}}
 *   kubectl-set Update  {f:spec: {f:template: {f:spec: {f:containers: {k:{"name":"api"}: {f:image: {}}}}}}}
 *   ownersOf(…containers[name=api].image) -> [kubectl-set]; ownersOf(…containers[name=api].env) -> [mygate]
 */

export type FieldsV1 = {[segment: string]: FieldsV1}

export interface ManagedFieldsEntry {
  manager: string
  operation: 'Apply' | 'Update' | string
  apiVersion?: string
  time?: string
  fieldsType?: string
  fieldsV1?: FieldsV1
  subresource?: string
}

export interface FieldOwner {
  manager: string
  operation: string
  subresource?: string
  time?: string
}

export function managedFieldsOf(object: {metadata?: {managedFields?: unknown}} | undefined): ManagedFieldsEntry[] {
  const list = object?.metadata?.managedFields
  return Array.isArray(list) ? (list as ManagedFieldsEntry[]).filter((entry) => entry && typeof entry.manager === 'string') : []
}

/** True when the tree holds `path` (or an ancestor of it as a leaf). */
export function treeOwns(tree: FieldsV1 | undefined, path: FieldPath): boolean {
  let node = tree
  if (node === undefined) return false
  for (const segment of path) {
    const child: FieldsV1 | undefined = node[segment]
    if (child === undefined) return false
    // A leaf above the end of the path: the value is atomic and owned whole.
    if (Object.keys(child).length === 0) return true
    node = child
  }
  return true
}

/** Managers owning the value at `path`, newest first. */
export function ownersOf(entries: readonly ManagedFieldsEntry[], path: FieldPath): FieldOwner[] {
  return entries
    .filter((entry) => treeOwns(entry.fieldsV1, path))
    .sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''))
    .map((entry) => ({manager: entry.manager, operation: entry.operation, ...(entry.subresource ? {subresource: entry.subresource} : {}), ...(entry.time ? {time: entry.time} : {})}))
}

/** Every leaf path of a FieldsV1 tree (item markers "." left out). */
export function leafPaths(tree: FieldsV1, prefix: FieldPath = []): FieldPath[] {
  const out: FieldPath[] = []
  for (const [segment, child] of Object.entries(tree)) {
    if (segment === '.') continue
    const path = [...prefix, segment]
    const rest = Object.keys(child).filter((key) => key !== '.')
    if (rest.length === 0) out.push(path)
    else out.push(...leafPaths(child, path))
  }
  return out
}
