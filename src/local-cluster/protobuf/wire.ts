/**
 * The protobuf wire format (https://protobuf.dev/programming-guides/encoding/), read the way
 * Kubernetes' gogo-generated `Unmarshal` methods read it: unknown fields are skipped, and every
 * failure is reported with the message those methods return ("unexpected EOF", "proto: integer
 * overflow", ...), which the API server puts into its 400 Status.
 */

export const WireType = {varint: 0, fixed64: 1, bytes: 2, startGroup: 3, endGroup: 4, fixed32: 5} as const

/** A body that is not valid protobuf; the message is the one gogo's generated code returns. */
export class ProtobufWireError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProtobufWireError'
  }
}

const unexpectedEof = (): ProtobufWireError => new ProtobufWireError('unexpected EOF')

export interface FieldTag {
  field: number
  wireType: number
}

export class WireReader {
  private pos: number

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.pos = start
  }

  done(): boolean {
    return this.pos >= this.end
  }

  /** A base-128 varint as an unsigned 64-bit value (more than 10 bytes is gogo's overflow error). */
  varint(): bigint {
    let result = 0n
    for (let shift = 0n; ; shift += 7n) {
      if (shift >= 64n) throw new ProtobufWireError('proto: integer overflow')
      if (this.pos >= this.end) throw unexpectedEof()
      const byte = this.bytes[this.pos++]
      result |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) return BigInt.asUintN(64, result)
    }
  }

  /** The next field's tag; `message` names the message in errors, as gogo does. */
  tag(message: string): FieldTag {
    const raw = this.varint()
    const wireType = Number(raw & 7n)
    const field = raw >> 3n
    if (wireType === WireType.endGroup) throw new ProtobufWireError(`proto: ${message}: wiretype end group for non-group`)
    if (field <= 0n || field > 0x7fffffffn) throw new ProtobufWireError(`proto: ${message}: illegal tag ${field} (wire type ${wireType})`)
    return {field: Number(field), wireType}
  }

  /** A length-delimited payload (string, bytes, embedded message, packed repeated scalars). */
  lengthDelimited(): Uint8Array {
    const length = this.varint()
    if (BigInt.asIntN(64, length) < 0n) throw new ProtobufWireError('proto: negative length found during unmarshaling')
    if (length > BigInt(this.end - this.pos)) throw unexpectedEof()
    const start = this.pos
    this.pos += Number(length)
    return this.bytes.subarray(start, this.pos)
  }

  /** Skips a field this decoder does not know, as gogo's skipGenerated does (groups included). */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.varint:
        this.varint()
        return
      case WireType.fixed64:
        return this.advance(8)
      case WireType.bytes:
        this.lengthDelimited()
        return
      case WireType.fixed32:
        return this.advance(4)
      case WireType.startGroup:
        return this.skipGroup()
      default:
        throw new ProtobufWireError(`proto: illegal wireType ${wireType}`)
    }
  }

  private skipGroup(): void {
    for (;;) {
      const raw = this.varint()
      const wireType = Number(raw & 7n)
      if (wireType === WireType.endGroup) return
      this.skip(wireType)
    }
  }

  private advance(count: number): void {
    if (this.end - this.pos < count) throw unexpectedEof()
    this.pos += count
  }
}

/** Proto `int32`: a varint whose low 32 bits are two's complement (negatives take ten bytes). */
export function toInt32(value: bigint): number {
  return Number(BigInt.asIntN(32, value))
}

/** Proto `int64`. Values beyond 2^53 lose precision in JSON numbers, as in any JavaScript client. */
export function toInt64(value: bigint): number {
  return Number(BigInt.asIntN(64, value))
}
