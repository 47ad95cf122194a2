import {crc32} from 'node:zlib'

import type {Oplog, OplogEntry, OpKind} from './oplog.js'
import type {StoredDocument} from './stored-document.js'

/**
 * Oplog entries appended to a set's branch, as one binary log record (persistence.ts): the
 * entries' numbers in fixed-width fields and each document's BSON bytes as they are, instead of a
 * JSON array with the documents in base64. A restore writes a million entries at once; as JSON
 * that was a JavaScript array and a base64 string per entry, a 380 MB log and seconds of encoding
 * before the restore Job could report; as bytes it is one copy of the documents.
 *
 * Record: the marker byte 0x00 (a text record starts with a hex digit), the payload's length and
 * CRC-32 (uint32 LE each), then the payload:
 *   uint32 header length, header JSON {set, from, seq, ts, by?, colls: [names], n}
 *   n times: secs u32, ord u32, term u32, wall f64, op u8, coll u16 (index into colls),
 *            id length u32 + id UTF-8, doc length i32 (-1: none) + bytes, prev length i32 + bytes
 * (all little-endian). A torn or damaged record fails its length or CRC check and ends the replay,
 * as a torn text record does.
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

const OPS: readonly OpKind[] = ['i', 'u', 'd', 'n']
const FIXED_BYTES = 4 + 4 + 4 + 8 + 1 + 2 + 4 + 4 + 4

/** Entries [from, to) of `oplog` as one framed binary record. */
export function encodeBatch(header: BatchHeader, oplog: Oplog, from: number, to: number): Buffer {
  const entries: OplogEntry[] = []
  for (let index = from; index < to; index++) entries.push(oplog.get(index))
  const colls: string[] = []
  const collIndex = new Map<string, number>()
  let size = 0
  for (const entry of entries) {
    if (!collIndex.has(entry.coll)) {
      collIndex.set(entry.coll, colls.length)
      colls.push(entry.coll)
    }
    size += FIXED_BYTES + Buffer.byteLength(entry.id, 'utf8') + (entry.doc?.length ?? 0) + (entry.prev?.length ?? 0)
  }
  const json = Buffer.from(JSON.stringify({...header, colls, n: entries.length}), 'utf8')
  const payloadBytes = 4 + json.length + size
  const out = Buffer.allocUnsafe(BATCH_FRAME_BYTES + payloadBytes)
  let at = BATCH_FRAME_BYTES
  at = out.writeUInt32LE(json.length, at)
  at += json.copy(out, at)
  const document = (stored: StoredDocument | undefined) => {
    if (stored === undefined) {
      at = out.writeInt32LE(-1, at)
      return
    }
    at = out.writeInt32LE(stored.length, at)
    at += out.write(stored, at, 'latin1')
  }
  for (const entry of entries) {
    at = out.writeUInt32LE(entry.secs, at)
    at = out.writeUInt32LE(entry.ord, at)
    at = out.writeUInt32LE(entry.term, at)
    at = out.writeDoubleLE(entry.wall, at)
    at = out.writeUInt8(OPS.indexOf(entry.op), at)
    at = out.writeUInt16LE(collIndex.get(entry.coll) as number, at)
    const idBytes = out.write(entry.id, at + 4, 'utf8')
    out.writeUInt32LE(idBytes, at)
    at += 4 + idBytes
    document(entry.doc)
    document(entry.prev)
  }
  out[0] = BATCH_MARKER
  out.writeUInt32LE(payloadBytes, 1)
  out.writeUInt32LE(crc32(out.subarray(BATCH_FRAME_BYTES)), 5)
  return out
}

/** The payload of a framed record (its CRC already checked) as entries. */
export function decodeBatch(payload: Buffer): BatchRecord {
  let at = 0
  const jsonBytes = payload.readUInt32LE(at)
  at += 4
  const header = JSON.parse(payload.toString('utf8', at, at + jsonBytes)) as BatchHeader & {colls: string[]; n: number}
  at += jsonBytes
  const document = (): StoredDocument | undefined => {
    const length = payload.readInt32LE(at)
    at += 4
    if (length < 0) return undefined
    const stored = payload.toString('latin1', at, at + length) as StoredDocument
    at += length
    return stored
  }
  const entries: OplogEntry[] = []
  for (let k = 0; k < header.n; k++) {
    const secs = payload.readUInt32LE(at)
    const ord = payload.readUInt32LE(at + 4)
    const term = payload.readUInt32LE(at + 8)
    const wall = payload.readDoubleLE(at + 12)
    const op = OPS[payload[at + 20]]
    const coll = header.colls[payload.readUInt16LE(at + 21)]
    const idBytes = payload.readUInt32LE(at + 23)
    at += 27
    const id = payload.toString('utf8', at, at + idBytes)
    at += idBytes
    const entry: OplogEntry = {secs, ord, term, wall, op, coll, id}
    const doc = document()
    const prev = document()
    if (doc !== undefined) entry.doc = doc
    if (prev !== undefined) entry.prev = prev
    entries.push(entry)
  }
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
