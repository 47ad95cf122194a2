import {createCipheriv, createDecipheriv, randomBytes} from 'node:crypto'

import {OperationFailedError} from '../../errors.js'

/**
 * The at-rest format of the local object store: AES-256-GCM over fixed-size chunks, so an
 * object of any size streams in and out with one chunk in memory, and any change to the bytes
 * (a flipped bit, chunks reordered, swapped in from another object, or cut off) fails to open.
 *
 *   file   = magic "MGSEAL01" (8 bytes) | file id (16 random bytes) | chunk*
 *   chunk  = plaintext length (uint32 BE, at most CHUNK_BYTES) | nonce (12 random bytes)
 *            | ciphertext (same length as the plaintext) | GCM tag (16 bytes)
 *   AAD    = magic | file id | chunk index (uint64 BE) | final flag (1 byte: 1 on the last chunk)
 *
 * The chunk index in the AAD stops reordering; the file id stops splicing chunks between
 * objects; the final flag on the last chunk (and the reader's demand that the file ends right
 * after it) stops truncation at a chunk boundary. An empty object is one empty final chunk.
 * Nonces are random per chunk: NIST SP 800-38D section 8.3 bounds a key to 2^32 random-nonce
 * invocations, about 4 PiB of 1 MiB chunks per bucket key, far beyond a local store.
 */

export const SEAL_MAGIC = Buffer.from('MGSEAL01', 'latin1')
export const CHUNK_BYTES = 1024 * 1024
const FILE_ID_BYTES = 16
const NONCE_BYTES = 12
const TAG_BYTES = 16
const CHUNK_HEADER_BYTES = 4 + NONCE_BYTES
export const KEY_BYTES = 32

/** The sealed object cannot be opened: wrong key, or bytes changed, reordered or cut off. */
export class SealedObjectError extends OperationFailedError {}

function aad(fileId: Buffer, index: number, final: boolean): Buffer {
  const out = Buffer.alloc(SEAL_MAGIC.length + FILE_ID_BYTES + 8 + 1)
  SEAL_MAGIC.copy(out, 0)
  fileId.copy(out, SEAL_MAGIC.length)
  out.writeBigUInt64BE(BigInt(index), SEAL_MAGIC.length + FILE_ID_BYTES)
  out[out.length - 1] = final ? 1 : 0
  return out
}

function sealChunk(key: Buffer, fileId: Buffer, index: number, final: boolean, plaintext: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(aad(fileId, index, final))
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  const head = Buffer.alloc(CHUNK_HEADER_BYTES)
  head.writeUInt32BE(plaintext.length, 0)
  nonce.copy(head, 4)
  return Buffer.concat([head, body, cipher.getAuthTag()])
}

/**
 * Encrypts a byte stream into the sealed format. Holds at most two chunks: the last one is only
 * sealed (with the final flag) once the input has ended.
 */
export async function* sealStream(key: Buffer, plaintext: AsyncIterable<Uint8Array>, chunkBytes = CHUNK_BYTES): AsyncGenerator<Buffer> {
  if (key.length !== KEY_BYTES) throw new RangeError(`an AES-256 key is ${KEY_BYTES} bytes, got ${key.length}`)
  const fileId = randomBytes(FILE_ID_BYTES)
  yield Buffer.concat([SEAL_MAGIC, fileId])
  let index = 0
  let pending: Buffer[] = []
  let pendingBytes = 0
  let ready: Buffer | undefined
  for await (const piece of plaintext) {
    let data = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)
    while (data.length > 0) {
      const take = Math.min(chunkBytes - pendingBytes, data.length)
      pending.push(data.subarray(0, take))
      pendingBytes += take
      data = data.subarray(take)
      if (pendingBytes === chunkBytes) {
        // A full chunk waits until we know whether more follows (then it is not the final one).
        if (ready) yield sealChunk(key, fileId, index++, false, ready)
        ready = Buffer.concat(pending, pendingBytes)
        pending = []
        pendingBytes = 0
      }
    }
  }
  if (pendingBytes > 0) {
    if (ready) yield sealChunk(key, fileId, index++, false, ready)
    ready = Buffer.concat(pending, pendingBytes)
  }
  yield sealChunk(key, fileId, index, true, ready ?? Buffer.alloc(0))
}

/** Reads exactly n bytes from an iterator over chunks, or fewer at the end of the stream. */
class Reader {
  private buffer: Buffer = Buffer.alloc(0)
  private done = false

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n && !this.done) {
      const next = await this.source.next()
      if (next.done) this.done = true
      else this.buffer = this.buffer.length === 0 ? Buffer.from(next.value) : Buffer.concat([this.buffer, next.value])
    }
    const out = this.buffer.subarray(0, Math.min(n, this.buffer.length))
    this.buffer = this.buffer.subarray(out.length)
    return out
  }
}

/**
 * Decrypts a sealed stream, yielding plaintext a chunk at a time, each only after its tag
 * verified. Throws SealedObjectError (naming `what`) on any tampering or truncation.
 */
export async function* openSealedStream(key: Buffer, sealed: AsyncIterable<Uint8Array>, what = 'the object'): AsyncGenerator<Buffer> {
  const reader = new Reader(sealed[Symbol.asyncIterator]())
  const head = await reader.read(SEAL_MAGIC.length + FILE_ID_BYTES)
  if (head.length < SEAL_MAGIC.length + FILE_ID_BYTES || !head.subarray(0, SEAL_MAGIC.length).equals(SEAL_MAGIC)) {
    throw new SealedObjectError(`${what} is not in the local store's sealed format (bad header)`)
  }
  const fileId = Buffer.from(head.subarray(SEAL_MAGIC.length))
  for (let index = 0; ; index++) {
    const chunkHead = await reader.read(CHUNK_HEADER_BYTES)
    if (chunkHead.length === 0) throw new SealedObjectError(`${what} is truncated: it ends after chunk ${index - 1} without its final chunk`)
    if (chunkHead.length < CHUNK_HEADER_BYTES) throw new SealedObjectError(`${what} is truncated inside chunk ${index}`)
    const length = chunkHead.readUInt32BE(0)
    if (length > CHUNK_BYTES * 64) throw new SealedObjectError(`${what} has an impossible chunk length ${length} at chunk ${index}`)
    const nonce = chunkHead.subarray(4)
    const body = await reader.read(length + TAG_BYTES)
    if (body.length < length + TAG_BYTES) throw new SealedObjectError(`${what} is truncated inside chunk ${index}`)
    // Try as a middle chunk, then as the final one: the flag is authenticated, not stored.
    const plaintext = tryOpen(key, fileId, index, false, nonce, body, length) ?? tryOpen(key, fileId, index, true, nonce, body, length)
    if (!plaintext) {
      throw new SealedObjectError(`${what} fails authentication at chunk ${index}: its bytes were changed, reordered or sealed with another key`)
    }
    if (plaintext.length > 0) yield plaintext.data
    if (plaintext.final) {
      const extra = await reader.read(1)
      if (extra.length > 0) throw new SealedObjectError(`${what} has data after its final chunk`)
      return
    }
  }
}

function tryOpen(key: Buffer, fileId: Buffer, index: number, final: boolean, nonce: Buffer, body: Buffer, length: number): {data: Buffer; final: boolean; length: number} | undefined {
  const decipher = createDecipheriv('aes-256-gcm', key, nonce)
  decipher.setAAD(aad(fileId, index, final))
  decipher.setAuthTag(body.subarray(length))
  const data = decipher.update(body.subarray(0, length))
  try {
    decipher.final()
  } catch {
    return undefined
  }
  return {data, final, length: data.length}
}
