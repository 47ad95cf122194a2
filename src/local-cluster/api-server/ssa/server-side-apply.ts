import type {KubeObject} from '../../../kube/types.js'
import {ApiError} from '../../store/api-error.js'
import {deepEqual, isPlainObject, nowTimestamp} from '../../store/object-utils.js'
import {isSetList, mergeKeyFor} from '../patch/merge-keys.js'
import {diffPaths, fieldsOf, formatPath, hasPath, isEmpty, leafPaths, subtract, union, valueAt, type FieldTree} from './field-set.js'

/** One entry of metadata.managedFields. */
export interface ManagedFieldsEntry {
  manager: string
  operation: 'Apply' | 'Update'
  apiVersion: string
  time?: string
  fieldsType: 'FieldsV1'
  fieldsV1: FieldTree
  subresource?: string
}

export interface ApplyInput {
  /** The live object, undefined when the apply creates it. */
  live: KubeObject | undefined
  config: KubeObject
  manager: string
  force: boolean
  /** Skip .status (types with a status subresource own it separately). */
  skipStatus: boolean
  subresource?: string
}

function entriesOf(object: KubeObject | undefined): ManagedFieldsEntry[] {
  const list = object?.metadata.managedFields
  // Entries are never mutated (changed ones are rebuilt), so a shallow copy is enough.
  return Array.isArray(list) ? ([...list] as ManagedFieldsEntry[]) : []
}

function sameOwner(entry: ManagedFieldsEntry, manager: string, operation: string, subresource?: string): boolean {
  return entry.manager === manager && entry.operation === operation && (entry.subresource ?? '') === (subresource ?? '')
}

/**
 * Server-side apply: merges `config` into the live object for `manager`, detecting conflicts
 * with fields other managers own (409 unless `force`), removing fields this manager applied
 * before and no longer applies (unless someone else owns them), and recording ownership in
 * managedFields. Returns the object to store.
 */
export function serverSideApply(input: ApplyInput): KubeObject {
  const {live, config, manager, force} = input
  const configFields = fieldsOf(config, {skipStatus: input.skipStatus})
  const configLeaves = leafPaths(configFields)
  const entries = entriesOf(live)
  const conflicts: Array<{manager: string; path: string[]}> = []
  for (const entry of entries) {
    if (entry.manager === manager || (entry.subresource ?? '') !== (input.subresource ?? '')) continue
    for (const path of configLeaves) {
      if (hasPath(entry.fieldsV1, path) && !deepEqual(valueAt(live, path), valueAt(config, path))) conflicts.push({manager: entry.manager, path})
    }
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts, config.apiVersion)

  // Fields this manager applied last time and no longer does are removed, unless others own them.
  const previous = entries.find((e) => sameOwner(e, manager, 'Apply', input.subresource))?.fieldsV1 ?? {}
  let others: FieldTree = {}
  for (const entry of entries) if (!sameOwner(entry, manager, 'Apply', input.subresource)) others = union(others, entry.fieldsV1)
  const result: Record<string, unknown> = live ? structuredClone(live) : {apiVersion: config.apiVersion, kind: config.kind, metadata: {}}
  prune(result, previous, configFields, others)
  mergeApplied(result, config as Record<string, unknown>)

  // Re-applying the same configuration changes nothing, not even the managedFields timestamp,
  // so the store sees a no-op and the resourceVersion stays (as on a real API server).
  if (live && conflicts.length === 0 && deepEqual(previous, configFields) && deepEqual(withoutManagedFields(result), withoutManagedFields(live))) {
    return structuredClone(live)
  }
  const taken = conflicts.map((c) => c.path)
  const nextEntries: ManagedFieldsEntry[] = []
  for (const entry of entries) {
    if (sameOwner(entry, manager, 'Apply', input.subresource)) continue
    const fields = force && entry.manager !== manager ? subtract(entry.fieldsV1, taken) : entry.fieldsV1
    if (!isEmpty(fields)) nextEntries.push({...entry, fieldsV1: fields})
  }
  nextEntries.push({
    manager,
    operation: 'Apply',
    apiVersion: config.apiVersion,
    time: nowTimestamp(),
    fieldsType: 'FieldsV1',
    fieldsV1: configFields,
    ...(input.subresource ? {subresource: input.subresource} : {}),
  })
  const meta = result.metadata as KubeObject['metadata']
  meta.managedFields = nextEntries
  return result as KubeObject
}

function withoutManagedFields(object: unknown): unknown {
  const {metadata, ...rest} = object as {metadata?: Record<string, unknown>}
  const {managedFields: _managed, ...meta} = metadata ?? {}
  return {...rest, metadata: meta}
}

/**
 * After a non-apply write (create, update, patch) by `manager`: that manager now owns every
 * field whose value it changed, and the previous owners of those fields lose them.
 */
export function recordUpdate(before: KubeObject | undefined, after: KubeObject, manager: string, options: {skipStatus: boolean; subresource?: string}): void {
  const {changed, removed} = diffPaths(before, after, {
    skipStatus: options.skipStatus && options.subresource !== 'status',
    ...(options.subresource === 'status' ? {only: 'status'} : {}),
  })
  const entries = entriesOf(before ?? after)
  if (changed.length === 0 && removed.length === 0) {
    if (before) after.metadata.managedFields = before.metadata.managedFields
    return
  }
  const lost = [...changed, ...removed]
  const next: ManagedFieldsEntry[] = []
  let mine: FieldTree = {}
  for (const entry of entries) {
    if (sameOwner(entry, manager, 'Update', options.subresource)) {
      mine = subtract(entry.fieldsV1, removed)
      continue
    }
    const fields = subtract(entry.fieldsV1, lost)
    if (!isEmpty(fields)) next.push({...entry, fieldsV1: fields})
  }
  mine = union(mine, treeOf(changed))
  if (!isEmpty(mine)) {
    next.push({
      manager,
      operation: 'Update',
      apiVersion: after.apiVersion,
      time: nowTimestamp(),
      fieldsType: 'FieldsV1',
      fieldsV1: mine,
      ...(options.subresource ? {subresource: options.subresource} : {}),
    })
  }
  after.metadata.managedFields = next
}

function treeOf(paths: string[][]): FieldTree {
  const tree: FieldTree = {}
  for (const path of paths) {
    let node = tree
    for (const segment of path) {
      node[segment] ??= {}
      if (segment.startsWith('k:')) node[segment]['.'] ??= {}
      node = node[segment]
    }
  }
  return tree
}

function conflictError(conflicts: Array<{manager: string; path: string[]}>, apiVersion: string): ApiError {
  const causes = conflicts.map((c) => ({reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${apiVersion}`, field: formatPath(c.path)}))
  const lines = causes.map((c) => `- ${c.message}: ${c.field}`).join('\n')
  const message =
    conflicts.length === 1
      ? `Apply failed with 1 conflict: ${causes[0].message}: ${causes[0].field}`
      : `Apply failed with ${conflicts.length} conflicts: conflicts with other managers:\n${lines}`
  return new ApiError(409, 'Conflict', message, {causes})
}

/** Removes from `target` what `previous` had and `current` lacks, unless `others` own it. */
function prune(target: unknown, previous: FieldTree, current: FieldTree, others: FieldTree): void {
  for (const [segment, child] of Object.entries(previous)) {
    if (segment === '.') continue
    const inCurrent = current[segment]
    const inOthers = others[segment]
    if (!inCurrent && !inOthers) {
      removeSegment(target, segment)
    } else if (Object.keys(child).length > 0) {
      const next = childValue(target, segment)
      if (next !== undefined) prune(next, child, inCurrent ?? {}, inOthers ?? {})
    }
  }
}

function childValue(target: unknown, segment: string): unknown {
  return valueAt(target, [segment])
}

function removeSegment(target: unknown, segment: string): void {
  if (segment.startsWith('f:') && isPlainObject(target)) delete target[segment.slice(2)]
  else if (Array.isArray(target)) {
    const value = valueAt(target, [segment])
    const index = target.findIndex((item) => item === value)
    if (index >= 0) target.splice(index, 1)
  }
}

/** Merges an apply configuration: maps recursively, keyed lists by item, everything else replaced. */
function mergeApplied(target: Record<string, unknown>, config: Record<string, unknown>, field = ''): void {
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue
    if (field === '' && key === 'metadata' && isPlainObject(value)) {
      const meta = (isPlainObject(target.metadata) ? target.metadata : (target.metadata = {})) as Record<string, unknown>
      const {managedFields: _ignored, ...rest} = value
      mergeApplied(meta, rest, 'metadata')
      continue
    }
    const current = target[key]
    if (value === null) delete target[key]
    else if (isPlainObject(value)) {
      const next = isPlainObject(current) ? current : {}
      mergeApplied(next, value, key)
      target[key] = next
    } else if (Array.isArray(value)) {
      target[key] = mergeAppliedList(key, Array.isArray(current) ? current : undefined, value)
    } else {
      target[key] = value
    }
  }
}

function mergeAppliedList(field: string, current: unknown[] | undefined, value: unknown[]): unknown[] {
  if (isSetList(field)) {
    const out = [...(current ?? [])]
    for (const item of value) if (!out.some((o) => deepEqual(o, item))) out.push(item)
    return out
  }
  const key = mergeKeyFor(field, current, value)
  if (key === '' || !value.every(isPlainObject)) return structuredClone(value)
  const out = [...(current ?? [])].map((item) => structuredClone(item))
  for (const item of value as Array<Record<string, unknown>>) {
    const index = out.findIndex((o) => isPlainObject(o) && deepEqual(o[key], item[key]))
    if (index >= 0) mergeApplied(out[index] as Record<string, unknown>, item, field)
    else out.push(structuredClone(item))
  }
  return out
}
