import type {KubeObject} from '../../kube/types.js'
import {isPlainObject} from '../store/object-utils.js'
import {loadDefinitions, type SchemaDefinition} from './definitions.js'

/**
 * Fields of a built-in object that its schema does not know (`spec.replica`), as dotted paths,
 * for `fieldValidation=Strict|Warn`. Kinds without a definition report nothing.
 */
export async function unknownFields(object: KubeObject): Promise<string[]> {
  const definitions = await loadDefinitions()
  const root = definitions.byKind.get(`${object.apiVersion}/${object.kind}`)
  if (!root) return []
  const out: string[] = []
  walk(object, root, '', definitions.schemas, out)
  return out
}

function resolve(schema: SchemaDefinition, schemas: Record<string, SchemaDefinition>): SchemaDefinition {
  let current = schema
  for (let i = 0; i < 8 && current.$ref; i++) current = schemas[current.$ref.replace('#/definitions/', '')] ?? {}
  return current
}

function walk(value: unknown, schema: SchemaDefinition, path: string, schemas: Record<string, SchemaDefinition>, out: string[]): void {
  const resolved = resolve(schema, schemas)
  if (resolved['x-kubernetes-preserve-unknown-fields']) return
  if (Array.isArray(value)) {
    if (resolved.items) value.forEach((item, i) => walk(item, resolved.items!, `${path}[${i}]`, schemas, out))
    return
  }
  if (!isPlainObject(value)) return
  if (resolved.properties) {
    for (const [key, child] of Object.entries(value)) {
      const childPath = path === '' ? key : `${path}.${key}`
      // managedFields hold FieldsV1 trees ("f:spec"...), which are free-form by definition.
      if (childPath === 'metadata.managedFields') continue
      const property = resolved.properties[key]
      if (!property) out.push(childPath)
      else walk(child, property, childPath, schemas, out)
    }
  } else if (isPlainObject(resolved.additionalProperties)) {
    for (const [key, child] of Object.entries(value)) walk(child, resolved.additionalProperties as SchemaDefinition, `${path}.${key}`, schemas, out)
  }
}
