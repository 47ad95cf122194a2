import type {KubeObject} from '../../kube/types.js'
import {apiErrors} from '../store/api-error.js'
import {isPlainObject} from '../store/object-utils.js'
import {mediaType, parseJson, parseYaml, readBody} from './body.js'
import {applyJsonPatch} from './patch/json-patch.js'
import {applyMergePatch} from './patch/json-merge-patch.js'
import {applyStrategicMergePatch} from './patch/strategic-merge-patch.js'
import {bindObjectToRoute, fieldManagerOf, isDryRun, type ResourceRequest} from './request-context.js'
import {asVersion, checkSchema} from './resource-handlers.js'
import {addWarnings, writeJson} from './respond.js'
import {applyScale, toScale} from './scale.js'
import {recordUpdate, serverSideApply} from './ssa/server-side-apply.js'

const MERGE = 'application/merge-patch+json'
const JSON_PATCH = 'application/json-patch+json'
const STRATEGIC = 'application/strategic-merge-patch+json'
const APPLY = 'application/apply-patch+yaml'

type PatchKind = 'merge' | 'json' | 'strategic' | 'apply'

function patchKindOf(contentType: string, custom: boolean): PatchKind {
  switch (contentType) {
    case MERGE:
      return 'merge'
    case JSON_PATCH:
      return 'json'
    case STRATEGIC:
      // As on a real server: custom resources have no Go types to carry merge keys.
      if (custom) throw apiErrors.unsupportedMediaType(contentType, [JSON_PATCH, MERGE, APPLY].join(', '))
      return 'strategic'
    case APPLY:
    case 'application/apply-patch+cbor':
      if (contentType !== APPLY) throw apiErrors.unsupportedMediaType(contentType)
      return 'apply'
    default:
      throw apiErrors.unsupportedMediaType(contentType)
  }
}

function applyPatch(kind: Exclude<PatchKind, 'apply'>, base: unknown, patch: unknown): unknown {
  if (kind === 'json') return applyJsonPatch(base, patch)
  if (!isPlainObject(patch)) throw apiErrors.badRequest('the patch must be a JSON object')
  return kind === 'merge' ? applyMergePatch(base, patch) : applyStrategicMergePatch(base, patch)
}

/** PATCH on an object, its status or its scale: merge, JSON, strategic merge, or server-side apply. */
export async function handlePatch(r: ResourceRequest): Promise<void> {
  const kind = patchKindOf(mediaType(r.req), Boolean(r.type.custom))
  const body = await readBody(r.req)
  const patch = kind === 'apply' ? await parseYaml(body) : parseJson(body)
  const dryRun = isDryRun(r.query)
  const manager = fieldManagerOf(r.req, r.query)
  const sub = r.route.subresource
  const existing = r.store.getShared(r.type, r.route.namespace, r.route.name!)

  if (kind === 'apply') {
    if (!r.query.get('fieldManager')) throw apiErrors.badRequest('PATCH, fieldManager: Required value: is required for apply patch')
    if (sub === 'scale') throw apiErrors.unsupportedMediaType(APPLY, [JSON_PATCH, MERGE, STRATEGIC].join(', '))
    const config = bindObjectToRoute(patch, r)
    const force = r.query.get('force') === 'true'
    if (r.query.has('force') && r.query.get('force') !== 'true' && r.query.get('force') !== 'false') throw apiErrors.badRequest('force must be true or false')
    if (!existing && sub === undefined) {
      await checkSchema(r, config)
      const object = serverSideApply({live: undefined, config, manager, force, skipStatus: Boolean(r.type.subresources?.status)})
      const warnings: string[] = []
      const created = r.store.createShared(r.type, object, {takeOwnership: true, dryRun, fieldManager: manager, warnings})
      if (!dryRun) await r.store.flush()
      addWarnings(r.res, warnings)
      writeJson(r.res, 201, asVersion(r, created))
      return
    }
    if (!existing) throw apiErrors.notFound(r.type, r.route.name!)
    const merged = serverSideApply({
      live: existing,
      config,
      manager,
      force,
      skipStatus: sub !== 'status' && Boolean(r.type.subresources?.status),
      ...(sub ? {subresource: sub} : {}),
    })
    if (sub !== 'status') await checkSchema(r, merged)
    const warnings: string[] = []
    const updated = r.store.updateShared(r.type, merged, {takeOwnership: true, dryRun, fieldManager: manager, warnings, ...(sub === 'status' ? {subresource: 'status' as const} : {})})
    if (!dryRun) await r.store.flush()
    addWarnings(r.res, warnings)
    writeJson(r.res, 200, asVersion(r, updated))
    return
  }

  if (!existing) throw apiErrors.notFound(r.type, r.route.name!)
  if (sub === 'scale') {
    const patchedScale = applyPatch(kind, toScale(r.type, existing), patch)
    const next = applyScale(r.type, existing, patchedScale)
    recordUpdate(existing, next, manager, {skipStatus: true})
    const updated = r.store.updateShared(r.type, next, {takeOwnership: true, dryRun, fieldManager: manager})
    if (!dryRun) await r.store.flush()
    writeJson(r.res, 200, toScale(r.type, updated))
    return
  }
  const patched = applyPatch(kind, structuredClone(existing), patch)
  const object = bindObjectToRoute(patched, r) as KubeObject
  if (sub !== 'status') {
    await checkSchema(r, object)
    recordUpdate(existing, object, manager, {skipStatus: Boolean(r.type.subresources?.status)})
  }
  const warnings: string[] = []
  const updated = r.store.updateShared(r.type, object, {takeOwnership: true, dryRun, fieldManager: manager, warnings, ...(sub === 'status' ? {subresource: 'status' as const} : {})})
  if (!dryRun) await r.store.flush()
  addWarnings(r.res, warnings)
  writeJson(r.res, 200, asVersion(r, updated))
}
