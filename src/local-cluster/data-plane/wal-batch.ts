import {endianness} from 'node:os'
import {crc32} from 'node:zlib'

import {capturedEntry, type Oplog, type OplogCapture, type OplogEntry} from './oplog.js'
import type {StoredDocument} from './stored-document.js'

/**
 * Oplog entries appended to a set's branch, as one binary log record (persistence.ts), laid out
 * by column as the oplog keeps them (oplog.ts): each number column copied as it is, then every
 * _id, document and previous document end to end, the documents' BSON as it is. A restore writes
 * a million entries at once; as JSON that was a JavaScript array and a base64 string per entry, a
 * 380 MB log and seconds of encoding before the restore Job could report; by column it is a few
 * copies of whole arrays per thousand entries.
 *
 * Record: the marker byte 0x00 (a text record starts with a hex digit), the payload's length and
 * CRC-32 (uint32 LE each), then the payload:
 *   uint32 header length, header JSON {set, from, seq, ts, by?, colls: [names], n}
 *   columns of n values: secs u32, ord u32, term u32, wall f64, id bytes u32, doc bytes i32,
 *   prev bytes i32 (-1: none), coll u16 (index into colls), op u8;
 *   then the _ids (UTF-8), the documents and the previous documents (BSON), end to end.
 * Numbers are little-endian (the typed arrays' byte order on the platforms Node runs here; a
 * big-endian host is refused rather than misread). A torn or damaged record fails its length or
 * CRC check and ends the replay, as a torn text record does.
 */

export const BATCH_MARKER = 0x00
/** Marker, payload length, payload CRC-32. */
export const BATCH_FRAME_BYTES = 9

export interface BatchHeader {
  set: string
  /** Global oplog index of the first entry. */
  from: number
  seq: number
  ts: {t: number; i: number}
  /** The primary that wrote the entries (it has them durably). */
  by?: string
}

/** The decoded record: what replaying it needs. */
export interface BatchRecord extends BatchHeader {
  k: 'batch'
  entries: OplogEntry[]
}

if (endianness() !== 'LE') throw new Error('the local data plane writes its log little-endian and runs on little-endian hosts only')

const bytesOf = (array: ArrayBufferView): Uint8Array => new Uint8Array(array.buffer, array.byteOffset, array.byteLength)

/** Entries [from, to) of `oplog` as one framed binary record. */
export function encodeBatch(header: BatchHeader, oplog: Oplog, from: number, to: number): Buffer {
  const c = oplog.capture(from, to)
  const n = c.length
  const ids = c.ids.join('')
  const asciiIds = Buffer.byteLength(ids, 'utf8') === ids.length
  const idBytes = new Uint32Array(n)
  const docBytes = new Int32Array(n)
  const prevBytes = new Int32Array(n)
  for (let k = 0; k < n; k++) {
    idBytes[k] = asciiIds ? c.ids[k].length : Buffer.byteLength(c.ids[k], 'utf8')
    docBytes[k] = c.docs[k]?.length ?? -1
    prevBytes[k] = c.prevs[k]?.length ?? -1
  }
  // join() writes an absent document as ''.
  const docs = c.docs.join('')
  const prevs = c.prevs.join('')
  const json = Buffer.from(JSON.stringify({...header, colls: c.collNames, n}), 'utf8')
  const columns = [c.secs, c.ords, c.terms, c.walls, idBytes, docBytes, prevBytes, c.colls, c.ops].map(bytesOf)
  const payloadBytes = 4 + json.length + columns.reduce((sum, column) => sum + column.length, 0) + Buffer.byteLength(ids, 'utf8') + docs.length + prevs.length
  const out = Buffer.allocUnsafe(BATCH_FRAME_BYTES + payloadBytes)
  let at = out.writeUInt32LE(json.length, BATCH_FRAME_BYTES)
  at += json.copy(out, at)
  for (const column of columns) {
    out.set(column, at)
    at += column.length
  }
  at += out.write(ids, at, 'utf8')
  at += out.write(docs, at, 'latin1')
  out.write(prevs, at, 'latin1')
  out[0] = BATCH_MARKER
  out.writeUInt32LE(payloadBytes, 1)
  out.writeUInt32LE(crc32(out.subarray(BATCH_FRAME_BYTES)), 5)
  return out
}

/** The payload of a framed record (its CRC already checked) as entries. */
export function decodeBatch(payload: Buffer): BatchRecord {
  const jsonBytes = payload.readUInt32LE(0)
  let at = 4
  const header = JSON.parse(payload.toString('utf8', at, at + jsonBytes)) as BatchHeader & {colls: string[]; n: number}
  at += jsonBytes
  const n = header.n
  // Copied into fresh (aligned) arrays: the payload's offsets need not be multiples of 8.
  const column = <T>(make: (buffer: ArrayBuffer) => T, width: number): T => {
    const bytes = new Uint8Array(n * width)
    bytes.set(payload.subarray(at, at + n * width))
    at += n * width
    return make(bytes.buffer)
  }
  const capture: OplogCapture = {
    start: header.from,
    length: n,
    secs: column((b) => new Uint32Array(b), 4),
    ords: column((b) => new Uint32Array(b), 4),
    terms: column((b) => new Uint32Array(b), 4),
    walls: column((b) => new Float64Array(b), 8),
    collNames: header.colls,
    ids: [],
    docs: [],
    prevs: [],
    colls: new Uint16Array(0),
    ops: new Uint8Array(0),
  }
  const idBytes = column((b) => new Uint32Array(b), 4)
  const docBytes = column((b) => new Int32Array(b), 4)
  const prevBytes = column((b) => new Int32Array(b), 4)
  capture.colls = column((b) => new Uint16Array(b), 2)
  capture.ops = column((b) => new Uint8Array(b), 1)
  // Each string on its own (a slice of one big string would keep all of it alive).
  const strings = <T extends string>(lengths: Uint32Array | Int32Array, encoding: 'utf8' | 'latin1'): Array<T | undefined> => {
    const out: Array<T | undefined> = []
    for (let k = 0; k < n; k++) {
      if (lengths[k] < 0) {
        out.push(undefined)
        continue
      }
      out.push(payload.toString(encoding, at, at + lengths[k]) as T)
      at += lengths[k]
    }
    return out
  }
  capture.ids = strings<string>(idBytes, 'utf8') as string[]
  capture.docs = strings<StoredDocument>(docBytes, 'latin1')
  capture.prevs = strings<StoredDocument>(prevBytes, 'latin1')
  const entries: OplogEntry[] = []
  for (let k = 0; k < n; k++) entries.push(capturedEntry(capture, k))
  return {k: 'batch', set: header.set, from: header.from, seq: header.seq, ts: header.ts, ...(header.by ? {by: header.by} : {}), entries}
}

/** The framed record's payload when `frame` starts one whose CRC matches; undefined when torn or damaged. */
export function checkedPayload(frame: Buffer): Buffer | undefined {
  if (frame.length < BATCH_FRAME_BYTES || frame[0] !== BATCH_MARKER) return undefined
  const length = frame.readUInt32LE(1)
  if (frame.length < BATCH_FRAME_BYTES + length) return undefined
  const payload = frame.subarray(BATCH_FRAME_BYTES, BATCH_FRAME_BYTES + length)
  return crc32(payload) === frame.readUInt32LE(5) ? payload : undefined
}
