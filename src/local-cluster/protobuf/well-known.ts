import {ProtobufWireError, toInt32, toInt64, WireReader, WireType} from './wire.js'
import type {WellKnownType} from './schema.js'

/**
 * The apimachinery types whose JSON form is not their protobuf structure. Each takes the bytes of
 * its message (empty for a Go zero value) and returns what its Go MarshalJSON writes.
 */

const utf8 = new TextDecoder()

/** Go's zero time.Time (0001-01-01T00:00:00Z) in Unix seconds: metav1.Time writes it as null. */
const GO_ZERO_TIME_SECONDS = -62135596800

interface RawFields {
  varints: Map<number, bigint>
  bytes: Map<number, Uint8Array>
}

/** Reads the last value of each field (proto semantics for non-repeated fields). */
function readFields(bytes: Uint8Array, message: string, wireTypes: Record<number, number>): RawFields {
  const reader = new WireReader(bytes)
  const fields: RawFields = {varints: new Map(), bytes: new Map()}
  while (!reader.done()) {
    const {field, wireType} = reader.tag(message)
    const expected = wireTypes[field]
    if (expected === undefined) {
      reader.skip(wireType)
      continue
    }
    if (wireType !== expected) throw new ProtobufWireError(`proto: wrong wireType = ${wireType} for field ${fieldName(message, field)}`)
    if (wireType === WireType.varint) fields.varints.set(field, reader.varint())
    else fields.bytes.set(field, reader.lengthDelimited())
  }
  return fields
}

function fieldName(message: string, field: number): string {
  const names: Record<string, string[]> = {Timestamp: ['', 'Seconds', 'Nanos'], Quantity: ['', 'String_'], IntOrString: ['', 'Type', 'IntVal', 'StrVal'], FieldsV1: ['', 'Raw']}
  return names[message]?.[field] ?? String(field)
}

/**
 * metav1.Time: a Timestamp {seconds = 1, nanos = 2}. Its Unmarshal keeps whole seconds only
 * (apimachinery time_proto.go drops the nanos so JSON and protobuf clients agree), and its JSON
 * is RFC 3339 in UTC, or null for the zero time (which Marshal writes as an empty message).
 */
function timeJson(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null
  const fields = readFields(bytes, 'Timestamp', {1: WireType.varint, 2: WireType.varint})
  const seconds = toInt64(fields.varints.get(1) ?? 0n)
  if (seconds === GO_ZERO_TIME_SECONDS) return null
  const date = new Date(seconds * 1000)
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999 || date.getUTCFullYear() < 0) {
    throw new ProtobufWireError(`Time.MarshalJSON: year outside of range [0,9999]`)
  }
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** resource.ParseQuantity's first check (apimachinery quantity.go `splitREString`). */
const QUANTITY_FORMAT = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'
const QUANTITY = new RegExp(QUANTITY_FORMAT)

/**
 * resource.Quantity {string = 1}: its JSON is the string; the zero Quantity (field absent) is
 * "0". Its Unmarshal parses the text, so a malformed one fails the request with ParseQuantity's
 * message. (The real server also canonicalises the text, "1000m" to "1"; the local store keeps
 * quantities as JSON clients send them, and protobuf bodies are treated the same way.)
 */
function quantityJson(bytes: Uint8Array): string {
  const raw = readFields(bytes, 'Quantity', {1: WireType.bytes}).bytes.get(1)
  if (raw === undefined) return '0'
  const text = utf8.decode(raw)
  if (!QUANTITY.test(text)) throw new ProtobufWireError(`quantities must match the regular expression '${QUANTITY_FORMAT}'`)
  return text
}

/** intstr.IntOrString {type = 1 (0 Int, 1 String), intVal = 2, strVal = 3}. */
function intOrStringJson(bytes: Uint8Array): number | string {
  const fields = readFields(bytes, 'IntOrString', {1: WireType.varint, 2: WireType.varint, 3: WireType.bytes})
  const type = toInt64(fields.varints.get(1) ?? 0n)
  if (type === 0) return toInt32(fields.varints.get(2) ?? 0n)
  if (type === 1) return utf8.decode(fields.bytes.get(3) ?? new Uint8Array())
  throw new ProtobufWireError(`impossible IntOrString.Type`)
}

/** metav1.FieldsV1 {Raw = 1}: the managed-fields JSON document, written as is. */
function fieldsV1Json(bytes: Uint8Array): unknown {
  const raw = readFields(bytes, 'FieldsV1', {1: WireType.bytes}).bytes.get(1)
  if (raw === undefined || raw.length === 0) return null
  try {
    return JSON.parse(utf8.decode(raw)) as unknown
  } catch {
    throw new ProtobufWireError('metav1.FieldsV1: the raw field set is not JSON')
  }
}

export function wellKnownJson(type: WellKnownType, bytes: Uint8Array): unknown {
  switch (type) {
    case 'Time':
      return timeJson(bytes)
    case 'Quantity':
      return quantityJson(bytes)
    case 'IntOrString':
      return intOrStringJson(bytes)
    case 'FieldsV1':
      return fieldsV1Json(bytes)
  }
}
