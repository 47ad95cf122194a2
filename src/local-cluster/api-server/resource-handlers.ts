import type {KubeObject} from '../../kube/types.js'
import type {KindRef} from '../protobuf/index.js'
import {apiErrors} from '../store/api-error.js'
import {isPlainObject} from '../store/object-utils.js'
import type {DeleteOptions, PropagationPolicy} from '../store/types.js'
import {parseJson, parseObjectBody, readBody} from './body.js'
import {negotiateResponse} from './negotiation.js'
import {handlePatch} from './patch-handler.js'
import {bindObjectToRoute, fieldManagerOf, groupVersion, isDryRun, type ResourceRequest} from './request-context.js'
import {writeJson} from './respond.js'
import {applyScale, toScale} from './scale.js'
import {recordUpdate} from './ssa/server-side-apply.js'
import {toTable, wantsTable} from './table.js'
import {validateSchema} from './schema-validation.js'
import {handleWatch} from './watch-handler.js'
import {addWarnings, successStatus} from './respond.js'

/** Dispatches one request for a resource (collection, object or subresource) by method. */
export async function handleResource(r: ResourceRequest): Promise<void> {
  const {route, req} = r
  negotiateResponse(req.headers.accept)
  const method = req.method ?? 'GET'
  const sub = route.subresource
  if (sub !== undefined && !isServedSubresource(r, sub)) throw apiErrors.pathNotFound()
  if (route.name === undefined) {
    if (method === 'GET') return isWatch(r.query) ? handleWatch(r) : handleList(r)
    if (method === 'POST') return handleCreate(r)
    if (method === 'DELETE') return handleDeleteCollection(r)
    throw apiErrors.methodNotAllowed()
  }
  if (method === 'GET') return sub === 'scale' ? handleGetScale(r) : handleGet(r)
  if (method === 'PUT') return sub === 'scale' ? handlePutScale(r) : handleUpdate(r)
  if (method === 'PATCH') return handlePatch(r)
  if (method === 'DELETE' && sub === undefined) return handleDelete(r)
  throw apiErrors.methodNotAllowed()
}

function isServedSubresource(r: ResourceRequest, sub: string): boolean {
  if (sub === 'status') return Boolean(r.type.subresources?.status)
  if (sub === 'scale') return Boolean(r.type.subresources?.scale)
  return sub === 'finalize' && r.type.group === '' && r.type.resource === 'namespaces'
}

function isWatch(query: URLSearchParams): boolean {
  const watch = query.get('watch')
  return watch === '1' || watch === 'true'
}

/** Objects are stored as written; a CR read through another served version reports that version. */
export function asVersion(r: ResourceRequest, object: KubeObject): KubeObject {
  const wanted = groupVersion(r.type, r.route.version)
  return object.apiVersion === wanted || !r.type.custom ? object : {...object, apiVersion: wanted}
}

/** The kind a body sent to this URL must be (what a body without apiVersion/kind defaults to). */
function urlKind(r: ResourceRequest): KindRef {
  return {apiVersion: groupVersion(r.type, r.route.version), kind: r.type.kind}
}

function requireObject(r: ResourceRequest): KubeObject {
  const object = r.store.getShared(r.type, r.route.namespace, r.route.name!)
  if (!object) throw apiErrors.notFound(r.type, r.route.name!)
  return object
}

function handleGet(r: ResourceRequest): void {
  const object = asVersion(r, requireObject(r))
  if (wantsTable(r.req.headers.accept)) {
    writeJson(r.res, 200, toTable(r.type, [object], {resourceVersion: object.metadata.resourceVersion}, r.query.get('includeObject') ?? undefined))
    return
  }
  writeJson(r.res, 200, object)
}

function listLimit(query: URLSearchParams): number | undefined {
  const raw = query.get('limit')
  if (raw === null || raw === '') return undefined
  const limit = Number(raw)
  if (!Number.isInteger(limit) || limit < 0) throw apiErrors.badRequest(`invalid limit "${raw}"`)
  return limit
}

function handleList(r: ResourceRequest): void {
  const page = r.store.listShared(r.type, {
    namespace: r.route.namespace,
    labelSelector: r.query.get('labelSelector') ?? undefined,
    fieldSelector: r.query.get('fieldSelector') ?? undefined,
    limit: listLimit(r.query),
    continue: r.query.get('continue') ?? undefined,
  })
  const metadata = {
    resourceVersion: page.resourceVersion,
    ...(page.continue ? {continue: page.continue, remainingItemCount: page.remainingItemCount} : {}),
  }
  const items = r.type.custom ? page.items.map((item) => asVersion(r, item)) : page.items
  if (wantsTable(r.req.headers.accept)) {
    writeJson(r.res, 200, toTable(r.type, items, metadata, r.query.get('includeObject') ?? undefined))
    return
  }
  writeJson(r.res, 200, {kind: r.type.listKind, apiVersion: groupVersion(r.type, r.route.version), metadata, items})
}

/** Shared by create, update and apply: schema check per `fieldValidation`, warnings as headers. */
export async function checkSchema(r: ResourceRequest, object: KubeObject): Promise<void> {
  const mode = r.query.get('fieldValidation') ?? 'Warn'
  if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
    throw apiErrors.badRequest(`fieldValidation must be one of Ignore, Warn or Strict, got "${mode}"`)
  }
  const warnings = await validateSchema(r.type, object, mode)
  addWarnings(r.res, warnings)
}

async function handleCreate(r: ResourceRequest): Promise<void> {
  const body = await readBody(r.req)
  const object = bindObjectToRoute(await parseObjectBody(r.req, body, urlKind(r)), r)
  await checkSchema(r, object)
  const manager = fieldManagerOf(r.req, r.query)
  recordUpdate(undefined, object, manager, {skipStatus: Boolean(r.type.subresources?.status)})
  const dryRun = isDryRun(r.query)
  const warnings: string[] = []
  const created = r.store.createShared(r.type, object, {takeOwnership: true, dryRun, fieldManager: manager, warnings})
  if (!dryRun) await r.store.flush()
  addWarnings(r.res, warnings)
  writeJson(r.res, 201, asVersion(r, created))
}

async function handleUpdate(r: ResourceRequest): Promise<void> {
  const body = await readBody(r.req)
  const object = bindObjectToRoute(await parseObjectBody(r.req, body, urlKind(r)), r)
  const sub = r.route.subresource
  const existing = requireObject(r)
  if (sub !== 'status') await checkSchema(r, object)
  const manager = fieldManagerOf(r.req, r.query)
  const dryRun = isDryRun(r.query)
  if (sub === 'finalize') {
    // Namespace finalize: only spec.finalizers change (the namespace controller's last step).
    const next = structuredClone(existing) as KubeObject
    next.spec = {...(isPlainObject(next.spec) ? next.spec : {}), finalizers: (isPlainObject(object.spec) ? object.spec.finalizers : undefined) ?? []}
    next.metadata.resourceVersion = object.metadata.resourceVersion ?? existing.metadata.resourceVersion
    const updated = r.store.updateShared(r.type, next, {takeOwnership: true, dryRun})
    if (!dryRun) await r.store.flush()
    writeJson(r.res, 200, updated)
    return
  }
  if (sub === 'status') {
    const updated = r.store.updateShared(r.type, object, {takeOwnership: true, dryRun, subresource: 'status'})
    if (!dryRun) await r.store.flush()
    writeJson(r.res, 200, asVersion(r, updated))
    return
  }
  recordUpdate(existing, object, manager, {skipStatus: Boolean(r.type.subresources?.status)})
  const warnings: string[] = []
  const updated = r.store.updateShared(r.type, object, {takeOwnership: true, dryRun, fieldManager: manager, warnings})
  if (!dryRun) await r.store.flush()
  addWarnings(r.res, warnings)
  writeJson(r.res, 200, asVersion(r, updated))
}

function handleGetScale(r: ResourceRequest): void {
  writeJson(r.res, 200, toScale(r.type, requireObject(r)))
}

async function handlePutScale(r: ResourceRequest): Promise<void> {
  const scale = parseJson(await readBody(r.req))
  const existing = requireObject(r)
  const dryRun = isDryRun(r.query)
  const next = applyScale(r.type, existing, scale)
  recordUpdate(existing, next, fieldManagerOf(r.req, r.query), {skipStatus: true})
  const updated = r.store.updateShared(r.type, next, {takeOwnership: true, dryRun})
  if (!dryRun) await r.store.flush()
  writeJson(r.res, 200, toScale(r.type, updated))
}

async function deleteOptionsOf(r: ResourceRequest): Promise<DeleteOptions> {
  const body = await readBody(r.req)
  let options: Record<string, unknown> = {}
  if (body.length > 0) {
    const parsed = parseJson(body)
    if (!isPlainObject(parsed)) throw apiErrors.badRequest('DeleteOptions must be a JSON object')
    options = parsed
  }
  const policy = (r.query.get('propagationPolicy') ?? options.propagationPolicy) as string | undefined
  if (policy !== undefined && policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
    throw apiErrors.badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`)
  }
  const orphan = r.query.get('orphanDependents') ?? options.orphanDependents
  const dryRunBody = Array.isArray(options.dryRun) && options.dryRun.includes('All')
  const preconditions = isPlainObject(options.preconditions) ? (options.preconditions as DeleteOptions['preconditions']) : undefined
  return {
    dryRun: isDryRun(r.query) || dryRunBody,
    propagationPolicy: (policy as PropagationPolicy | undefined) ?? (orphan === true || orphan === 'true' ? 'Orphan' : undefined),
    ...(preconditions ? {preconditions} : {}),
  }
}

async function handleDelete(r: ResourceRequest): Promise<void> {
  const options = await deleteOptionsOf(r)
  const result = r.store.deleteShared(r.type, r.route.namespace, r.route.name!, options)
  if (!options.dryRun) await r.store.flush()
  const gone = !r.store.getShared(r.type, r.route.namespace, r.route.name!)
  // Like the real server: an object still held by finalizers comes back (202 while terminating),
  // an object removed at once is a Success Status.
  if (!gone || options.dryRun || r.type.resource === 'pods') {
    writeJson(r.res, gone || options.dryRun ? 200 : 202, asVersion(r, result))
    return
  }
  writeJson(r.res, 200, successStatus({name: r.route.name, group: r.type.group, kind: r.type.resource, uid: result.metadata.uid}))
}

async function handleDeleteCollection(r: ResourceRequest): Promise<void> {
  const options = await deleteOptionsOf(r)
  const page = r.store.listShared(r.type, {
    namespace: r.route.namespace,
    labelSelector: r.query.get('labelSelector') ?? undefined,
    fieldSelector: r.query.get('fieldSelector') ?? undefined,
  })
  const deleted: KubeObject[] = []
  for (const item of page.items) {
    try {
      deleted.push(r.store.deleteShared(r.type, item.metadata.namespace, String(item.metadata.name), options))
    } catch (error) {
      // Deleted concurrently (e.g. by a finalizer removal): the collection delete still succeeds.
      if (!(error instanceof Error && 'status' in error && (error as {status: {code: number}}).status.code === 404)) throw error
    }
  }
  if (!options.dryRun) await r.store.flush()
  writeJson(r.res, 200, {kind: r.type.listKind, apiVersion: groupVersion(r.type, r.route.version), metadata: {resourceVersion: r.store.resourceVersion()}, items: deleted})
}
