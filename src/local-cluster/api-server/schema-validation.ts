import type {KubeObject} from '../../kube/types.js'
import {ApiError, apiErrors, type StatusCause} from '../store/api-error.js'
import type {ResourceType} from '../store/types.js'
import {unknownFields} from '../openapi/unknown-fields.js'

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params?: {missingProperty?: string; type?: string}
}

type Validator = (object: KubeObject) => AjvError[]

/** Validators per apiVersion/kind, loaded on first use (kubernetes-models costs ~1 s in full). */
const validators = new Map<string, Promise<Validator | undefined>>()

function modulePath(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`
}

function loadValidator(apiVersion: string, kind: string): Promise<Validator | undefined> {
  const key = `${apiVersion}/${kind}`
  let pending = validators.get(key)
  if (!pending) {
    pending = import(modulePath(apiVersion, kind)).then(
      (module: Record<string, unknown>) => {
        const Model = module[kind] as (new (data: unknown) => {validate(): void}) | undefined
        if (typeof Model !== 'function') return undefined
        return (object: KubeObject): AjvError[] => {
          try {
            new Model(object).validate()
            return []
          } catch (error) {
            const errors = (error as {errors?: AjvError[]}).errors
            if (Array.isArray(errors)) return errors
            throw error
          }
        }
      },
      () => undefined,
    )
    validators.set(key, pending)
  }
  return pending
}

function fieldOf(error: AjvError): string {
  const path = error.instancePath.replace(/^\//, '').split('/').filter((s) => s !== '')
  let field = ''
  for (const segment of path) field += /^\d+$/.test(segment) ? `[${segment}]` : field === '' ? segment : `.${segment}`
  if (error.keyword === 'required' && error.params?.missingProperty) field += field === '' ? error.params.missingProperty : `.${error.params.missingProperty}`
  return field
}

function valueAt(object: unknown, instancePath: string): unknown {
  let current = object
  for (const segment of instancePath.split('/').filter((s) => s !== '')) current = (current as Record<string, unknown> | undefined)?.[segment]
  return current
}

/**
 * Checks a built-in kind against the Kubernetes schema (kubernetes-models' validators) and,
 * per `fieldValidation`, unknown fields. A wrongly typed field is 400 (the real server fails
 * to decode it); a missing required field or a bad value is 422 Invalid. Returns warnings for
 * `fieldValidation=Warn`. Custom resources are not checked against their CRD schema.
 */
export async function validateSchema(type: ResourceType, object: KubeObject, fieldValidation: string): Promise<string[]> {
  if (type.custom) return []
  const validator = await loadValidator(object.apiVersion, object.kind)
  const errors = validator ? validator(object) : []
  const name = String(object.metadata?.name ?? '')
  const typeError = errors.find((e) => e.keyword === 'type')
  if (typeError) {
    const field = fieldOf(typeError)
    throw apiErrors.badRequest(
      `${object.kind} in version "${object.apiVersion.split('/').at(-1)}" cannot be handled as a ${object.kind}: json: cannot unmarshal ${jsonType(valueAt(object, typeError.instancePath))} into Go struct field ${field} of type ${typeError.params?.type ?? 'unknown'}`,
    )
  }
  const causes: StatusCause[] = errors
    .filter((e) => !(e.keyword === 'required' && e.params?.missingProperty === 'name' && e.instancePath === '/metadata'))
    .map((e) =>
      e.keyword === 'required'
        ? {reason: 'FieldValueRequired', message: 'Required value', field: fieldOf(e)}
        : {reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(valueAt(object, e.instancePath))}: ${e.message ?? 'invalid'}`, field: fieldOf(e)},
    )
  if (causes.length > 0) throw apiErrors.invalid(type, name, causes)
  if (fieldValidation === 'Ignore') return []
  const unknown = await unknownFields(object)
  if (unknown.length === 0) return []
  const messages = unknown.map((path) => `unknown field "${path}"`)
  if (fieldValidation === 'Strict') {
    throw new ApiError(400, 'BadRequest', `strict decoding error: ${messages.join(', ')}`, {
      causes: unknown.map((path) => ({reason: 'FieldValueInvalid', message: `unknown field "${path}"`, field: path})),
    })
  }
  return messages
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array'
  if (value === null) return 'null'
  return typeof value === 'object' ? 'object' : typeof value
}
