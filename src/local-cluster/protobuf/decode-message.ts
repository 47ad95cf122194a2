import {isScalar, isWellKnown, type FieldDescriptor, type MessageDescriptor, type Registry} from './schema.js'
import {wellKnownJson} from './well-known.js'
import {ProtobufWireError, toInt32, toInt64, WireReader, WireType} from './wire.js'

/**
 * Decodes one protobuf message into the JSON the real API server would write for it: the body is
 * read into the Go value its generated Unmarshal builds, then written by Go's encoding/json rules:
 *
 * - a pointer field is written when it was on the wire, zero or not (`replicas: 0` stays 0);
 * - a value scalar is written unless it is zero and its json tag says omitempty;
 * - a value struct is always written, `{}` when empty (`strategy: {}`, `status: {}`), and the
 *   well-known structs in their own form (a zero Time is `null`, a zero Quantity `"0"`);
 * - an empty slice or map is left out with omitempty, `null` without;
 * - an inline struct's fields join its parent's object.
 *
 * Go's generated marshaller writes every value field, so a kubectl that sends protobuf produces
 * exactly the JSON object a kubectl that sends JSON does (the unit tests compare the two).
 */

const utf8 = new TextDecoder()
const EMPTY = new Uint8Array()

type Json = Record<string, unknown>

/** What the wire held for one field before it is turned into JSON. */
type Collected =
  | {kind: 'single'; value: bigint | Uint8Array; chunks: Uint8Array[]}
  | {kind: 'repeated'; values: Array<bigint | Uint8Array>}
  | {kind: 'map'; entries: Map<string, Uint8Array | undefined>}

function goFieldName(field: FieldDescriptor): string {
  return field.name.charAt(0).toUpperCase() + field.name.slice(1)
}

function expectedWireType(field: FieldDescriptor): number {
  if (field.cardinality === 'map') return WireType.bytes
  return field.type === 'bool' || field.type === 'int32' || field.type === 'int64' ? WireType.varint : WireType.bytes
}

function shortName(message: MessageDescriptor): string {
  return message.name.slice(message.name.indexOf('.') + 1)
}

/** One map entry: a message {key = 1 (string), value = 2}; a missing part is its zero value. */
function readMapEntry(bytes: Uint8Array, field: FieldDescriptor, message: MessageDescriptor): [string, Uint8Array | undefined] {
  const reader = new WireReader(bytes)
  let key = ''
  let value: Uint8Array | undefined
  while (!reader.done()) {
    const tag = reader.tag(shortName(message))
    if ((tag.field === 1 || tag.field === 2) && tag.wireType !== WireType.bytes) {
      throw new ProtobufWireError(`proto: wrong wireType = ${tag.wireType} for field ${goFieldName(field)}`)
    }
    if (tag.field === 1) key = utf8.decode(reader.lengthDelimited())
    else if (tag.field === 2) value = reader.lengthDelimited()
    else reader.skip(tag.wireType)
  }
  return [key, value]
}

function collect(bytes: Uint8Array, message: MessageDescriptor): Map<FieldDescriptor, Collected> {
  const reader = new WireReader(bytes)
  const found = new Map<FieldDescriptor, Collected>()
  while (!reader.done()) {
    const {field: number, wireType} = reader.tag(shortName(message))
    const field = message.byNumber.get(number)
    // A field this release does not know: skipped, as the real server skips it.
    if (!field) {
      reader.skip(wireType)
      continue
    }
    const expected = expectedWireType(field)
    const packed = field.cardinality === 'repeated' && expected === WireType.varint && wireType === WireType.bytes
    if (wireType !== expected && !packed) throw new ProtobufWireError(`proto: wrong wireType = ${wireType} for field ${goFieldName(field)}`)

    if (field.cardinality === 'map') {
      const entry = found.get(field) ?? {kind: 'map', entries: new Map()}
      if (entry.kind !== 'map') continue
      const [key, value] = readMapEntry(reader.lengthDelimited(), field, message)
      entry.entries.set(key, value)
      found.set(field, entry)
    } else if (field.cardinality === 'repeated') {
      const entry = found.get(field) ?? {kind: 'repeated', values: []}
      if (entry.kind !== 'repeated') continue
      if (packed) {
        const inner = new WireReader(reader.lengthDelimited())
        while (!inner.done()) entry.values.push(inner.varint())
      } else {
        entry.values.push(expected === WireType.varint ? reader.varint() : reader.lengthDelimited())
      }
      found.set(field, entry)
    } else {
      const value = expected === WireType.varint ? reader.varint() : reader.lengthDelimited()
      const previous = found.get(field)
      // A message field seen twice is merged (protobuf's rule, and what gogo's Unmarshal does):
      // decoding the concatenated encodings is exactly that merge. Scalars: the last one wins.
      const chunks = previous?.kind === 'single' && value instanceof Uint8Array ? [...previous.chunks, value] : value instanceof Uint8Array ? [value] : []
      found.set(field, {kind: 'single', value, chunks})
    }
  }
  return found
}

function scalarJson(type: string, value: bigint | Uint8Array): unknown {
  switch (type) {
    case 'bool':
      return value !== 0n
    case 'int32':
      return toInt32(value as bigint)
    case 'int64':
      return toInt64(value as bigint)
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('base64')
    default:
      return utf8.decode(value as Uint8Array)
  }
}

function isZeroScalar(value: unknown): boolean {
  return value === '' || value === 0 || value === false || value === null
}

function zeroScalar(type: string): unknown {
  if (type === 'bool') return false
  if (type === 'int32' || type === 'int64') return 0
  return type === 'bytes' ? null : ''
}

/** A message-typed value (element, map value or field) as JSON; `bytes` empty = Go zero value. */
function valueJson(registry: Registry, type: string, bytes: Uint8Array): unknown {
  if (isScalar(type)) return scalarJson(type, bytes)
  if (isWellKnown(type)) return wellKnownJson(type, bytes)
  return messageJson(registry, registry.get(type)!, bytes)
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
}

function writeField(registry: Registry, out: Json, field: FieldDescriptor, found: Collected | undefined): void {
  if (field.cardinality === 'repeated') {
    const values = found?.kind === 'repeated' ? found.values : []
    if (values.length > 0) out[field.name] = values.map((value) => (typeof value === 'bigint' ? scalarJson(field.type, value) : valueJson(registry, field.type, value)))
    else if (field.always) out[field.name] = null
    return
  }
  if (field.cardinality === 'map') {
    const entries = found?.kind === 'map' ? found.entries : new Map<string, Uint8Array | undefined>()
    if (entries.size > 0) {
      const object: Json = {}
      // Go writes map keys sorted by their bytes; gogo starts every map value at its zero value
      // ("" for strings and bytes, "0" for a Quantity).
      const keys = [...entries.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      for (const key of keys) object[key] = valueJson(registry, field.type, entries.get(key) ?? EMPTY)
      out[field.name] = object
    } else if (field.always) {
      out[field.name] = null
    }
    return
  }
  const present = found?.kind === 'single'
  if (isScalar(field.type)) {
    if (field.pointer) {
      if (present) out[field.name] = scalarJson(field.type, found.value)
      return
    }
    const value = present ? scalarJson(field.type, found.value) : zeroScalar(field.type)
    if (field.always || !isZeroScalar(value)) out[field.name] = value
    return
  }
  // Messages: a pointer is written when present; a value struct always (Go never omits structs).
  if (field.pointer && !present) return
  const bytes = present ? concat(found.chunks) : EMPTY
  if (field.inline) Object.assign(out, valueJson(registry, field.type, bytes) as Json)
  else out[field.name] = valueJson(registry, field.type, bytes)
}

/** Decodes `bytes` as `message` and writes it as the JSON object the real server would. */
export function messageJson(registry: Registry, message: MessageDescriptor, bytes: Uint8Array): Json {
  const found = collect(bytes, message)
  const out: Json = {}
  for (const field of message.fields) writeField(registry, out, field, found.get(field))
  return out
}
