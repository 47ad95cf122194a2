/**
 * Reads single top-level fields out of raw BSON without decoding the document (bsonspec.org's
 * element grammar), so hashing a million documents does not also deserialize them.
 */

export interface RawField {
  /** The BSON type byte. */
  type: number
  /** The value's bytes (for a document or array: the embedded BSON document itself). */
  value: Uint8Array
}

function cstringEnd(bson: Uint8Array, from: number): number {
  let at = from
  while (at < bson.length && bson[at] !== 0) at++
  if (at >= bson.length) throw new RangeError('unterminated BSON name')
  return at
}

function int32At(bson: Uint8Array, at: number): number {
  return bson[at] | (bson[at + 1] << 8) | (bson[at + 2] << 16) | (bson[at + 3] << 24)
}

/** The length of the value of an element of `type` starting at `at` (bsonspec.org, "element"). */
function valueLength(bson: Uint8Array, type: number, at: number): number {
  switch (type) {
    case 0x01: // double
    case 0x09: // UTC datetime
    case 0x11: // timestamp
    case 0x12: // int64
      return 8
    case 0x02: // string
    case 0x0d: // JavaScript code
    case 0x0e: // symbol
      return 4 + int32At(bson, at)
    case 0x03: // embedded document
    case 0x04: // array
    case 0x0f: // code with scope
      return int32At(bson, at)
    case 0x05: // binary: length, subtype, bytes
      return 4 + 1 + int32At(bson, at)
    case 0x06: // undefined (deprecated)
    case 0x0a: // null
    case 0x7f: // max key
    case 0xff: // min key
      return 0
    case 0x07: // ObjectId
      return 12
    case 0x08: // boolean
      return 1
    case 0x0b: {
      // regex: two cstrings
      const first = cstringEnd(bson, at)
      return cstringEnd(bson, first + 1) + 1 - at
    }
    case 0x0c: // DBPointer: string then ObjectId
      return 4 + int32At(bson, at) + 12
    case 0x10: // int32
      return 4
    case 0x13: // decimal128
      return 16
    default:
      throw new RangeError(`unknown BSON type 0x${type.toString(16)}`)
  }
}

/** The raw value of a top-level field, or undefined if the document has no such field. */
export function rawField(bson: Uint8Array, name: string): RawField | undefined {
  const wanted = Buffer.from(name, 'utf8')
  let at = 4
  const end = int32At(bson, 0) - 1
  while (at < end) {
    const type = bson[at]
    const nameStart = at + 1
    const nameEnd = cstringEnd(bson, nameStart)
    const valueStart = nameEnd + 1
    const length = valueLength(bson, type, valueStart)
    if (nameEnd - nameStart === wanted.length && Buffer.compare(wanted, bson.subarray(nameStart, nameEnd)) === 0) {
      return {type, value: bson.subarray(valueStart, valueStart + length)}
    }
    at = valueStart + length
  }
  return undefined
}

/** A BSON string field's text, or undefined if absent or not a string. */
export function rawString(bson: Uint8Array, name: string): string | undefined {
  const field = rawField(bson, name)
  if (!field || field.type !== 0x02) return undefined
  return Buffer.from(field.value.buffer, field.value.byteOffset + 4, field.value.length - 5).toString('utf8')
}

/**
 * A key that identifies a value by its exact BSON type and bytes: two _ids are the same key iff
 * their BSON is identical. (MongoDB also treats numerically equal int32/int64/double _ids as equal;
 * mygate's data uses ObjectIds and strings, where the two notions agree.)
 */
export function rawKey(field: RawField): string {
  return String.fromCharCode(field.type) + Buffer.from(field.value.buffer, field.value.byteOffset, field.value.length).toString('latin1')
}
