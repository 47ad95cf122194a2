import type {KubeObject} from '../../kube/types.js'
import type {StatusCause} from './api-error.js'
import type {ResourceType} from './types.js'

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const SUBDOMAIN_RE = new RegExp(`^${LABEL}(\\.${LABEL})*$`)
const LABEL_RE = new RegExp(`^${LABEL}$`)
const QUALIFIED_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/

// The real API server's wording, so error messages read the same as against a real cluster.
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && SUBDOMAIN_RE.test(value)
}

export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && LABEL_RE.test(value)
}

function invalid(field: string, value: unknown, message: string): StatusCause {
  return {reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${message}`, field}
}

/** Problems with an object's name under its type's rule; empty when the name is fine. */
export function validateName(type: ResourceType, name: string, field = 'metadata.name'): StatusCause[] {
  switch (type.nameRule ?? 'subdomain') {
    case 'label':
      return isDns1123Label(name) ? [] : [invalid(field, name, LABEL_MESSAGE)]
    case 'path':
      if (name === '.' || name === '..') return [invalid(field, name, `may not be '${name}'`)]
      if (/[/%]/.test(name)) return [invalid(field, name, `may not contain '/' or '%'`)]
      return name === '' ? [invalid(field, name, 'may not be empty')] : []
    case 'subdomain':
      return isDns1123Subdomain(name) ? [] : [invalid(field, name, SUBDOMAIN_MESSAGE)]
  }
}

function validateLabelKey(key: string, field: string): StatusCause[] {
  const slash = key.lastIndexOf('/')
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined
  const name = slash >= 0 ? key.slice(slash + 1) : key
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return [invalid(field, key, `prefix part ${SUBDOMAIN_MESSAGE}`)]
  if (name.length > 63 || !QUALIFIED_NAME_RE.test(name)) {
    return [
      invalid(
        field,
        key,
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      ),
    ]
  }
  return []
}

/**
 * Validates what every object shares (metadata): name, namespace, labels, annotation keys.
 * The kind-specific schema is checked by the API server layer against kubernetes-models.
 */
export function validateObjectMeta(type: ResourceType, object: KubeObject): StatusCause[] {
  const causes: StatusCause[] = []
  const metadata = object.metadata
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    return [{reason: 'FieldValueRequired', message: 'Required value: metadata is required', field: 'metadata'}]
  }
  if (typeof metadata.name !== 'string' || metadata.name === '') {
    causes.push({reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name'})
  } else {
    causes.push(...validateName(type, metadata.name))
  }
  for (const [key, value] of Object.entries(metadata.labels ?? {})) {
    causes.push(...validateLabelKey(key, 'metadata.labels'))
    if (typeof value !== 'string' || (value !== '' && (value.length > 63 || !QUALIFIED_NAME_RE.test(value)))) {
      causes.push(
        invalid(
          'metadata.labels',
          value,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      )
    }
  }
  for (const key of Object.keys(metadata.annotations ?? {})) causes.push(...validateLabelKey(key, 'metadata.annotations'))
  for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
    if (typeof value !== 'string') causes.push(invalid(`metadata.annotations[${key}]`, value, 'must be a string'))
  }
  return causes
}
