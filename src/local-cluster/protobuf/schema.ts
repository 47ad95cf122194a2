/**
 * Our own descriptor language for the Kubernetes protobuf messages the local control plane
 * decodes. One string per message lists its fields in the Go struct's order (the order the JSON
 * keys come out in):
 *
 *   name=NUMBER[:TYPE][FLAGS]
 *
 * - TYPE: omitted for `string`; `bool`, `int32`, `int64`, `bytes`; a well-known type (`Time`,
 *   `Quantity`, `IntOrString`, `FieldsV1`); a message of the same package (`PodSpec`) or of
 *   another (`meta.ObjectMeta`). `[]TYPE` is a repeated field, `{}TYPE` a map<string, TYPE>.
 * - FLAGS, from the Go field the message is generated from (k8s.io/api `types.go`):
 *   `?` a pointer (set exactly when present on the wire, so a zero value is kept),
 *   `!` no `omitempty` in its json tag (the zero value is written too),
 *   `^` an embedded struct with `json:",inline"` (its fields join the parent's JSON object).
 *
 * Field numbers and types follow the published `generated.proto` files of k8s.io/api and
 * k8s.io/apimachinery for the release the local API server reports (see discovery.ts).
 */

export type ScalarType = 'string' | 'bool' | 'int32' | 'int64' | 'bytes'

/** Messages with their own JSON form (custom MarshalJSON in apimachinery). */
export type WellKnownType = 'Time' | 'Quantity' | 'IntOrString' | 'FieldsV1'

export interface FieldDescriptor {
  /** The JSON name (Kubernetes names proto fields after their JSON keys). */
  name: string
  number: number
  /** A scalar, a well-known type, or a qualified message name (`core.PodSpec`). */
  type: string
  cardinality: 'single' | 'repeated' | 'map'
  pointer: boolean
  always: boolean
  inline: boolean
}

export interface MessageDescriptor {
  /** Qualified: `core.PodSpec`. */
  name: string
  fields: FieldDescriptor[]
  byNumber: Map<number, FieldDescriptor>
}

/** One API package: its short name (used in qualified references) and its messages. */
export interface PackageSpec {
  name: string
  messages: Record<string, string>
}

const SCALARS = new Set<string>(['string', 'bool', 'int32', 'int64', 'bytes'])
const WELL_KNOWN = new Set<string>(['Time', 'Quantity', 'IntOrString', 'FieldsV1'])

export function isScalar(type: string): type is ScalarType {
  return SCALARS.has(type)
}

export function isWellKnown(type: string): type is WellKnownType {
  return WELL_KNOWN.has(type)
}

const FIELD = /^([A-Za-z][A-Za-z0-9]*)=([1-9][0-9]*)(?::(\[\]|\{\})?([A-Za-z][A-Za-z0-9.]*))?([?!^]*)$/

/** Parses one field of the descriptor language; `pkg` qualifies same-package message names. */
export function parseField(text: string, pkg: string): FieldDescriptor {
  const match = FIELD.exec(text)
  if (!match) throw new Error(`protobuf descriptor: cannot parse field "${text}" in package ${pkg}`)
  const [, name, number, shape, rawType = 'string', flags] = match
  const type = SCALARS.has(rawType) || WELL_KNOWN.has(rawType) || rawType.includes('.') ? rawType : `${pkg}.${rawType}`
  return {
    name,
    number: Number(number),
    type,
    cardinality: shape === '[]' ? 'repeated' : shape === '{}' ? 'map' : 'single',
    pointer: flags.includes('?'),
    always: flags.includes('!'),
    inline: flags.includes('^'),
  }
}

export type Registry = ReadonlyMap<string, MessageDescriptor>

/**
 * Parses every package into one registry and checks it: every referenced message exists, no
 * field number repeats, and only messages are inlined. A mistake in a table fails here, at the
 * first decode (and in the unit test), never halfway through a request.
 */
export function buildRegistry(packages: readonly PackageSpec[]): Registry {
  const registry = new Map<string, MessageDescriptor>()
  for (const pkg of packages) {
    for (const [message, spec] of Object.entries(pkg.messages)) {
      const fields = spec.split(/\s+/).filter((part) => part !== '').map((part) => parseField(part, pkg.name))
      const name = `${pkg.name}.${message}`
      const byNumber = new Map<number, FieldDescriptor>()
      for (const field of fields) {
        if (byNumber.has(field.number)) throw new Error(`protobuf descriptor: ${name} uses field number ${field.number} twice`)
        byNumber.set(field.number, field)
      }
      registry.set(name, {name, fields, byNumber})
    }
  }
  for (const message of registry.values()) {
    for (const field of message.fields) {
      const isMessage = !isScalar(field.type) && !isWellKnown(field.type)
      if (isMessage && !registry.has(field.type)) throw new Error(`protobuf descriptor: ${message.name}.${field.name} refers to unknown message ${field.type}`)
      if (field.inline && (!isMessage || field.cardinality !== 'single')) throw new Error(`protobuf descriptor: ${message.name}.${field.name} cannot be inlined`)
    }
  }
  return registry
}
