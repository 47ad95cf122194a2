/**
 * CRC-64 with the ECMA-182 polynomial, computed the way Go's hash/crc64 does with
 * `crc64.MakeTable(crc64.ECMA)` (reflected, initial value and final XOR all ones; the catalogue
 * name is CRC-64/XZ, check value 0x995dc9bbdf1939fa for "123456789"). mongodump writes this CRC of
 * each namespace's documents into its EOF header (mongo-tools common/archive/multiplexer.go).
 *
 * The 64-bit state is kept as two uint32 halves so the inner loop stays in small integers (BigInt
 * per byte would be two orders of magnitude slower over a million documents); slicing-by-8 tables
 * let it consume eight bytes per step.
 */

const REFLECTED_ECMA_HI = 0xc96c5795
const REFLECTED_ECMA_LO = 0xd7870f42

/** tables[k] holds the CRC of a byte followed by k zero bytes; lo and hi halves separately. */
const TABLES_LO: Uint32Array[] = []
const TABLES_HI: Uint32Array[] = []

function buildTables(): void {
  const lo0 = new Uint32Array(256)
  const hi0 = new Uint32Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let lo = byte
    let hi = 0
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0
      hi = hi >>> 1
      if (carry) {
        lo = (lo ^ REFLECTED_ECMA_LO) >>> 0
        hi = (hi ^ REFLECTED_ECMA_HI) >>> 0
      }
    }
    lo0[byte] = lo
    hi0[byte] = hi
  }
  TABLES_LO.push(lo0)
  TABLES_HI.push(hi0)
  for (let k = 1; k < 8; k++) {
    const lo = new Uint32Array(256)
    const hi = new Uint32Array(256)
    const prevLo = TABLES_LO[k - 1]
    const prevHi = TABLES_HI[k - 1]
    for (let byte = 0; byte < 256; byte++) {
      // One more zero byte through the CRC: shift right 8 and fold the low byte back in.
      const index = prevLo[byte] & 0xff
      lo[byte] = (((prevLo[byte] >>> 8) | (prevHi[byte] << 24)) ^ lo0[index]) >>> 0
      hi[byte] = ((prevHi[byte] >>> 8) ^ hi0[index]) >>> 0
    }
    TABLES_LO.push(lo)
    TABLES_HI.push(hi)
  }
}
buildTables()
// Named once here: destructuring the tables inside update() cost more than the CRC itself for
// documents of a couple of hundred bytes (it runs per document).
const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES_LO
const [h0, h1, h2, h3, h4, h5, h6, h7] = TABLES_HI
/** Word loads read the platform's byte order: only little-endian ones take that path. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1
/** Below this many bytes a typed-array view costs more than it saves. */
const WORDS_FROM = 256

/** A running CRC-64/ECMA: feed bytes with update(), read it with value(). */
export class Crc64 {
  // The state with the initial all-ones already applied, as Go keeps ^crc between updates.
  private lo = 0xffffffff
  private hi = 0xffffffff

  update(bytes: Uint8Array): this {
    let lo = this.lo
    let hi = this.hi
    let i = 0
    const n = bytes.length
    if (LITTLE_ENDIAN && n >= WORDS_FROM) {
      // Bytewise up to a 4-byte boundary, then whole little-endian words: one load per four
      // bytes instead of four loads, shifts and ors (the CRC of a dump runs over every byte).
      for (; i < n && ((bytes.byteOffset + i) & 3) !== 0; i++) {
        const index = (lo ^ bytes[i]) & 0xff
        lo = ((lo >>> 8) | (hi << 24)) ^ t0[index]
        hi = (hi >>> 8) ^ h0[index]
      }
      const pairs = (n - i) >>> 3
      const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, pairs * 2)
      for (let k = 0; k < words.length; k += 2) {
        const a = lo ^ words[k]
        const b = hi ^ words[k + 1]
        lo =
          t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
          t3[b & 0xff] ^ t2[(b >>> 8) & 0xff] ^ t1[(b >>> 16) & 0xff] ^ t0[b >>> 24]
        hi =
          h7[a & 0xff] ^ h6[(a >>> 8) & 0xff] ^ h5[(a >>> 16) & 0xff] ^ h4[a >>> 24] ^
          h3[b & 0xff] ^ h2[(b >>> 8) & 0xff] ^ h1[(b >>> 16) & 0xff] ^ h0[b >>> 24]
      }
      i += pairs * 8
    }
    for (; i + 8 <= n; i += 8) {
      const a = lo ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))
      const b = hi ^ (bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24))
      lo =
        t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
        t3[b & 0xff] ^ t2[(b >>> 8) & 0xff] ^ t1[(b >>> 16) & 0xff] ^ t0[b >>> 24]
      hi =
        h7[a & 0xff] ^ h6[(a >>> 8) & 0xff] ^ h5[(a >>> 16) & 0xff] ^ h4[a >>> 24] ^
        h3[b & 0xff] ^ h2[(b >>> 8) & 0xff] ^ h1[(b >>> 16) & 0xff] ^ h0[b >>> 24]
    }
    for (; i < n; i++) {
      const index = (lo ^ bytes[i]) & 0xff
      lo = (lo >>> 8) | (hi << 24)
      lo ^= t0[index]
      hi = (hi >>> 8) ^ h0[index]
    }
    this.lo = lo >>> 0
    this.hi = hi >>> 0
    return this
  }

  /** The CRC as an unsigned 64-bit value. */
  value(): bigint {
    return (BigInt((~this.hi) >>> 0) << 32n) | BigInt((~this.lo) >>> 0)
  }
}

export function crc64(bytes: Uint8Array): bigint {
  return new Crc64().update(bytes).value()
}
