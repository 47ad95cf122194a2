import {diffPaths, fieldsOf, valueAt} from '../local-cluster/api-server/ssa/field-set.js'
import type {KubeObject} from '../kube/types.js'
import {FIELD_MANAGER} from '../kube/types.js'
import {type FieldPath, formatPath} from './field-path.js'
import {type FieldOwner, type FieldsV1, leafPaths, managedFieldsOf, ownersOf, treeOwns} from './field-owners.js'

/**
 * Pure: every difference between what mygate declares for one object and the live object.
 *
 * The comparison is between the live object and the result of a server-side apply dry-run of the
 * desired object (field manager mygate, force). The dry-run is the live object as it would be
 * after mygate applied: the API server fills in its defaults the same way, so a defaulted field
 * (`imagePullPolicy`, a probe's `timeoutSeconds`) never shows as a difference, and any field whose
 * value the dry-run changes is one where the live object departs from what mygate renders.
 *
 * A dry-run alone misses what someone added inside what mygate renders (`kubectl set env` adds an
 * env entry mygate never applied: apply leaves fields other managers own in place). Those come
 * from managedFields: every live field another manager owns that the desired object does not set.
 *
 * Kinds of difference, with worked examples:
 *   changed  both hold the path, values differ   `kubectl set image`: spec.template.spec.containers[name=api].image
 *   missing  desired holds it, live lacks it     a probe removed by JSON patch: …containers[name=api].readinessProbe
 *   added    live holds it, desired does not     `kubectl set env FOO=1`: …containers[name=api].env[name=FOO]
 * Paths are reported at the highest point that differs (a removed probe is one difference, not
 * one per probe field). Whether a difference is drift is decided by drift-rules.ts.
 */

export type DifferenceKind = 'changed' | 'missing' | 'added'

export interface FieldDifference {
  kind: DifferenceKind
  /** FieldsV1 segments, as in managedFields. */
  path: FieldPath
  /** The printed path: spec.template.spec.containers[name=api].image */
  field: string
  /** The desired value (after API-server defaults); absent for `added`. */
  desired?: unknown
  /** The live value; absent for `missing`. */
  live?: unknown
  /** Managers that own the live value (managedFields), newest first; empty when nobody does. */
  owners: FieldOwner[]
}

export interface CompareInput {
  desired: KubeObject
  /** The server-side apply dry-run of `desired` against the live object. */
  dryRun: KubeObject
  live: KubeObject
}

export function compareObject({desired, dryRun, live}: CompareInput): FieldDifference[] {
  const entries = managedFieldsOf(live)
  const found = new Map<string, FieldDifference>()
  const add = (kind: DifferenceKind, path: FieldPath) => {
    const field = formatPath(path)
    if (found.has(field)) return
    const liveValue = valueAt(live, path)
    const desiredValue = valueAt(dryRun, path)
    found.set(field, {
      kind,
      path,
      field,
      ...(kind === 'added' ? {} : {desired: desiredValue}),
      ...(kind === 'missing' ? {} : {live: liveValue}),
      owners: kind === 'missing' ? [] : ownersOf(entries, path),
    })
  }

  // What the apply would change: set or changed fields, and fields it would prune.
  const {changed, removed} = diffPaths(live, dryRun, {skipStatus: true})
  for (const path of changed) {
    const absentFrom = shortestPrefix(path, (p) => valueAt(live, p) === undefined)
    if (absentFrom) add('missing', absentFrom)
    else add('changed', path)
  }
  for (const path of removed) add('added', shortestPrefix(path, (p) => valueAt(dryRun, p) === undefined) ?? path)

  // What others added inside what mygate renders: owned by another manager, not declared.
  const declared: FieldsV1 = fieldsOf(desired as Record<string, unknown>, {skipStatus: true})
  for (const entry of entries) {
    if (entry.manager === FIELD_MANAGER || entry.subresource === 'status' || !entry.fieldsV1) continue
    for (const leaf of leafPaths(entry.fieldsV1)) {
      if (leaf[0] === 'f:status' || treeOwns(declared, leaf)) continue
      const path = shortestPrefix(leaf, (p) => !treeOwns(declared, p)) ?? leaf
      if (valueAt(live, path) === undefined) continue
      add('added', path)
    }
  }
  return [...found.values()].sort((a, b) => a.field.localeCompare(b.field))
}

function shortestPrefix(path: FieldPath, test: (prefix: FieldPath) => boolean): FieldPath | undefined {
  for (let length = 1; length <= path.length; length++) {
    const prefix = path.slice(0, length)
    if (test(prefix)) return prefix
  }
  return undefined
}
