import {createHash} from 'node:crypto'

import type {KubeObject} from '../../kube/types.js'
import {isPlainObject} from '../store/object-utils.js'
import type {LocalObjectStore} from '../store/object-store.js'
import type {ResourceType} from '../store/types.js'
import {SERVER_VERSION} from '../api-server/discovery.js'
import {loadDefinitions, type SchemaDefinition} from './definitions.js'
import {encodeOpenApiV2} from './protobuf-v2.js'

type Json = Record<string, unknown>

const CRDS = {group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions'}

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`
}

function groupVersionsOf(types: ResourceType[]): Array<{group: string; version: string}> {
  const seen = new Map<string, {group: string; version: string}>()
  for (const type of types) for (const version of type.versions ?? [type.version]) seen.set(gvPath(type.group, version), {group: type.group, version})
  return [...seen.values()]
}

/** The definition name a type's kind has: upstream's for built-ins, a synthetic one for CRs. */
function definitionNameFor(type: ResourceType, version: string, byKind: Map<string, SchemaDefinition>): string {
  const ref = byKind.get(`${type.group === '' ? '' : `${type.group}/`}${version}/${type.kind}`)?.$ref
  if (ref) return ref.replace('#/definitions/', '')
  return `${type.group.split('.').reverse().join('.')}.${version}.${type.kind}`
}

/** CR schemas from their CRDs' openAPIV3Schema (with the GVK extension kubectl looks for). */
function customDefinitions(store: LocalObjectStore): Record<string, SchemaDefinition> {
  const out: Record<string, SchemaDefinition> = {}
  for (const crd of store.listShared(CRDS).items as KubeObject[]) {
    const spec = crd.spec as {group: string; names: {kind: string}; versions: Array<{name: string; served?: boolean; schema?: {openAPIV3Schema?: SchemaDefinition}}>}
    for (const version of spec.versions ?? []) {
      if (version.served === false) continue
      const schema = structuredClone(version.schema?.openAPIV3Schema ?? {type: 'object', 'x-kubernetes-preserve-unknown-fields': true})
      schema['x-kubernetes-group-version-kind'] = [{group: spec.group, version: version.name, kind: spec.names.kind}]
      if (isPlainObject(schema.properties) && !schema.properties.metadata) {
        schema.properties.metadata = {$ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'}
      }
      out[`${spec.group.split('.').reverse().join('.')}.${version.name}.${spec.names.kind}`] = schema
    }
  }
  return out
}

function queryParameter(name: string, description: string): Json {
  return {name, in: 'query', description, type: 'string', uniqueItems: true}
}

const WRITE_PARAMETERS = [
  queryParameter('dryRun', 'When present, indicates that modifications should not be persisted.'),
  queryParameter('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  queryParameter('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn (default), Strict.'),
]

/** The paths (v2 flavour) of one type in one version, with the extensions kubectl reads. */
function pathsFor(type: ResourceType, version: string, definition: string): Record<string, Json> {
  const gvk = {group: type.group, version, kind: type.kind}
  const prefix = `/${gvPath(type.group, version)}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.resource}`
  const op = (action: string, extra: Json = {}): Json => ({
    operationId: `${action}${type.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    responses: {'200': {description: 'OK', schema: {$ref: `#/definitions/${definition}`}}},
    ...extra,
  })
  const body = {in: 'body', name: 'body', required: true, schema: {$ref: `#/definitions/${definition}`}}
  return {
    [prefix]: {get: op('list'), post: op('post', {parameters: [body, ...WRITE_PARAMETERS]}), delete: op('deletecollection')},
    [`${prefix}/{name}`]: {
      get: op('get'),
      put: op('put', {parameters: [body, ...WRITE_PARAMETERS]}),
      patch: op('patch', {
        consumes: ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'],
        parameters: [{in: 'body', name: 'body', required: true, schema: {type: 'object'}}, ...WRITE_PARAMETERS, queryParameter('force', 'Force is going to "force" Apply requests.')],
      }),
      delete: op('delete'),
    },
  }
}

/** `/openapi/v2`: every served type's paths and the definitions (JSON; kubectl also accepts it). */
export async function openApiV2(store: LocalObjectStore): Promise<Json> {
  const {schemas, byKind} = await loadDefinitions()
  const definitions: Record<string, SchemaDefinition> = {...schemas, ...customDefinitions(store)}
  const paths: Record<string, Json> = {}
  for (const type of store.types()) for (const version of type.versions ?? [type.version]) Object.assign(paths, pathsFor(type, version, definitionNameFor(type, version, byKind)))
  return {swagger: '2.0', info: {title: 'Kubernetes', version: SERVER_VERSION.gitVersion}, paths, definitions}
}

/** The v2 document as gnostic protobuf (what kubectl 1.27 and 1.28 ask for). */
export async function openApiV2Protobuf(store: LocalObjectStore): Promise<Buffer> {
  return encodeOpenApiV2(await openApiV2(store))
}

function typesOf(store: LocalObjectStore, group: string, version: string): ResourceType[] {
  return store.types().filter((t) => t.group === group && (t.versions ?? [t.version]).includes(version))
}

function hashOf(store: LocalObjectStore, group: string, version: string): string {
  const crdVersions = (store.listShared(CRDS).items as KubeObject[]).filter((c) => (c.spec as {group?: string}).group === group).map((c) => c.metadata.resourceVersion)
  const key = JSON.stringify([typesOf(store, group, version), crdVersions])
  return createHash('sha256').update(key).digest('hex').slice(0, 32).toUpperCase()
}

/** `/openapi/v3`: where each group-version's document is (the hash changes when it does). */
export function openApiV3Index(store: LocalObjectStore): Json {
  const paths: Record<string, Json> = {}
  for (const {group, version} of groupVersionsOf(store.types())) {
    const path = gvPath(group, version)
    paths[path] = {serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(store, group, version)}`}
  }
  return {paths}
}

/** v2 schema -> v3: refs move to components, a described ref becomes allOf (as upstream does). */
function toV3(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toV3)
  if (!isPlainObject(schema)) return schema
  const out: Json = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string') out.$ref = value.replace('#/definitions/', '#/components/schemas/')
    else out[key] = toV3(value)
  }
  if (typeof out.$ref === 'string' && Object.keys(out).length > 1) {
    const {$ref, ...rest} = out
    return {...rest, allOf: [{$ref}]}
  }
  return out
}

function collectRefs(schema: unknown, schemas: Record<string, SchemaDefinition>, into: Set<string>): void {
  if (Array.isArray(schema)) return schema.forEach((s) => collectRefs(s, schemas, into))
  if (!isPlainObject(schema)) return
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string') {
      const name = value.replace('#/definitions/', '')
      if (!into.has(name) && schemas[name]) {
        into.add(name)
        collectRefs(schemas[name], schemas, into)
      }
    } else collectRefs(value, schemas, into)
  }
}

/** `/openapi/v3/api/v1`, `/openapi/v3/apis/GROUP/VERSION`: an OpenAPI 3.0 document for that group-version. */
export async function openApiV3Document(store: LocalObjectStore, path: string): Promise<Json | undefined> {
  const gv = groupVersionsOf(store.types()).find(({group, version}) => gvPath(group, version) === path)
  if (!gv) return undefined
  const {schemas, byKind} = await loadDefinitions()
  const all: Record<string, SchemaDefinition> = {...schemas, ...customDefinitions(store)}
  const used = new Set<string>()
  const paths: Record<string, Json> = {}
  for (const type of typesOf(store, gv.group, gv.version)) {
    const definition = definitionNameFor(type, gv.version, byKind)
    if (all[definition]) {
      used.add(definition)
      collectRefs(all[definition], all, used)
    }
    for (const [p, item] of Object.entries(pathsFor(type, gv.version, definition))) {
      const operations: Json = {}
      for (const [method, op] of Object.entries(item)) {
        const {parameters, responses: _r, consumes: _c, ...rest} = op as Json
        operations[method] = {
          ...rest,
          parameters: ((parameters as Json[] | undefined) ?? []).filter((param) => param.in === 'query').map((param) => ({name: param.name, in: 'query', description: param.description, schema: {type: 'string', uniqueItems: true}})),
          responses: {'200': {description: 'OK', content: {'application/json': {schema: {$ref: `#/components/schemas/${definition}`}}}}},
        }
      }
      paths[p] = operations
    }
  }
  const components: Record<string, unknown> = {}
  for (const name of [...used].sort()) components[name] = toV3(all[name])
  return {openapi: '3.0.0', info: {title: 'Kubernetes', version: SERVER_VERSION.gitVersion}, paths, components: {schemas: components}}
}
