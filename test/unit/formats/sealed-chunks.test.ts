import {randomBytes} from 'node:crypto'

import {describe, expect, test} from 'vitest'

import {openSealedStream, SEAL_MAGIC, sealStream, SealedObjectError} from '../../../src/formats/local-object-store/sealed-chunks.js'

const KEY = Buffer.alloc(32, 7)
const CHUNK = 16

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = []
  for await (const c of source) out.push(Buffer.from(c))
  return Buffer.concat(out)
}

async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

async function seal(plaintext: Buffer, key = KEY): Promise<Buffer> {
  return collect(sealStream(key, pieces(plaintext, 5), CHUNK))
}

const HEADER = SEAL_MAGIC.length + 16
/** Byte ranges of each sealed chunk: 4-byte length, 12-byte nonce, ciphertext, 16-byte tag. */
function chunkRanges(sealed: Buffer): Array<[number, number]> {
  const ranges: Array<[number, number]> = []
  for (let at = HEADER; at < sealed.length; ) {
    const end = at + 4 + 12 + sealed.readUInt32BE(at) + 16
    ranges.push([at, end])
    at = end
  }
  return ranges
}

describe('sealed chunks (AES-256-GCM at rest)', () => {
  test.each([0, 1, 15, 16, 17, 48, 100])('round-trips %d bytes', async (length) => {
    const plaintext = randomBytes(length)
    const sealed = await seal(plaintext)
    expect(sealed.subarray(0, 8).toString('latin1')).toBe('MGSEAL01')
    // One chunk per started 16 bytes, and one (empty) for no bytes at all.
    expect(chunkRanges(sealed)).toHaveLength(Math.max(1, Math.ceil(length / CHUNK)))
    expect(await collect(openSealedStream(KEY, pieces(sealed, 7)))).toEqual(plaintext)
  })

  test('the plaintext does not appear at rest', async () => {
    const plaintext = Buffer.from('visitor Asha Rao, flat B-12, phone 98450 12345')
    const sealed = await seal(plaintext)
    expect(sealed.includes(Buffer.from('Asha'))).toBe(false)
  })

  const damages: Array<[string, (sealed: Buffer, other: Buffer) => Buffer, RegExp]> = [
    ['a flipped ciphertext bit', (s) => {
      const c = Buffer.from(s)
      c[HEADER + 4 + 12 + 3] ^= 1
      return c
    }, /fails authentication at chunk 0/],
    ['two chunks swapped', (s) => {
      const [a, b, ...rest] = chunkRanges(s)
      return Buffer.concat([s.subarray(0, HEADER), s.subarray(...b), s.subarray(...a), ...rest.map((r) => s.subarray(...r))])
    }, /fails authentication at chunk 0/],
    ['the last chunk dropped (cut at a chunk boundary)', (s) => {
      const ranges = chunkRanges(s)
      return s.subarray(0, ranges[ranges.length - 1][0])
    }, /truncated: it ends after chunk 1 without its final chunk/],
    ['cut inside a chunk', (s) => s.subarray(0, s.length - 3), /truncated inside chunk 2/],
    ['a chunk from another object spliced in', (s, other) => {
      const [a] = chunkRanges(other)
      const [, ...rest] = chunkRanges(s)
      return Buffer.concat([s.subarray(0, HEADER), other.subarray(...a), ...rest.map((r) => s.subarray(...r))])
    }, /fails authentication at chunk 0/],
    ['bytes after the final chunk', (s) => Buffer.concat([s, Buffer.from([0])]), /data after its final chunk/],
    ['not sealed at all', () => Buffer.from('plain text'), /not in the local store's sealed format/],
  ]
  test.each(damages)('refuses %s', async (_what, damage, message) => {
    const plaintext = randomBytes(40)
    const sealed = await seal(plaintext)
    const other = await seal(randomBytes(40))
    const error = await collect(openSealedStream(KEY, pieces(damage(sealed, other), 9), 'object backups/x')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SealedObjectError)
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message).toContain('object backups/x')
  })

  test('refuses another key', async () => {
    const sealed = await seal(randomBytes(20))
    await expect(collect(openSealedStream(Buffer.alloc(32, 8), pieces(sealed, 9)))).rejects.toThrow(/sealed with another key/)
  })
})
