import {compareOpTimes, NULL_OPTIME, type OpTime} from './optime.js'
import type {StoredDocument} from './stored-document.js'

/** i: insert, u: update (full replacement), d: delete, n: no-op (e.g. "new primary"). */
export type OpKind = 'i' | 'u' | 'd' | 'n'

/** One oplog entry as plain data (tails, persistence, tests). */
export interface OplogEntry {
  /** Timestamp seconds and ordinal. */
  secs: number
  ord: number
  /** The term of the primary that wrote it. */
  term: number
  /** Wall-clock milliseconds when it was written (the oplog's `wall` field). */
  wall: number
  op: OpKind
  /** Collection name ('' for a no-op). */
  coll: string
  /** The document's _id (its ObjectId hex), '' for a no-op. */
  id: string
  /** The document after the operation (i, u) or the no-op's message (`{msg}`), as stored BSON. */
  doc?: StoredDocument
  /** The document before the operation (u, d): what undoing it restores. */
  prev?: StoredDocument
}

const OPS: readonly OpKind[] = ['i', 'u', 'd', 'n']

export function opTimeOf(entry: Pick<OplogEntry, 'secs' | 'ord' | 'term'>): OpTime {
  return {ts: {t: entry.secs, i: entry.ord}, t: entry.term}
}

/** An oplog's entries at one instant (Oplog.capture), position k holding entry `start + k`. */
export interface OplogCapture {
  start: number
  length: number
  secs: Uint32Array
  ords: Uint32Array
  terms: Uint32Array
  walls: Float64Array
  ops: Uint8Array
  colls: Uint16Array
  collNames: readonly string[]
  ids: readonly string[]
  docs: ReadonlyArray<StoredDocument | undefined>
  prevs: ReadonlyArray<StoredDocument | undefined>
}

/** The entry at position k of a capture, as plain data. */
export function capturedEntry(capture: OplogCapture, k: number): OplogEntry {
  const entry: OplogEntry = {
    secs: capture.secs[k],
    ord: capture.ords[k],
    term: capture.terms[k],
    wall: capture.walls[k],
    op: OPS[capture.ops[k]],
    coll: capture.collNames[capture.colls[k]],
    id: capture.ids[k],
  }
  const doc = capture.docs[k]
  const prev = capture.prevs[k]
  if (doc !== undefined) entry.doc = doc
  if (prev !== undefined) entry.prev = prev
  return entry
}

/**
 * The oplog of one branch of history, columnar so a million entries cost tens of bytes each:
 * numbers in typed arrays, documents as references to the very strings the collections hold.
 * Positions are global indexes that never change meaning: entry n is the n-th write of the
 * branch; `start` is the first one still kept (the oplog is capped, oldest entries fall off).
 */
export class Oplog {
  private startIndex = 0
  private offset = 0
  private size = 0
  private secs = new Uint32Array(1024)
  private ords = new Uint32Array(1024)
  private terms = new Uint32Array(1024)
  private walls = new Float64Array(1024)
  private ops = new Uint8Array(1024)
  private colls = new Uint16Array(1024)
  private ids: string[] = []
  private docs: Array<StoredDocument | undefined> = []
  private prevs: Array<StoredDocument | undefined> = []
  private readonly collNames: string[] = []
  private readonly collIndex = new Map<string, number>()

  /** Global index of the first entry kept. */
  get start(): number {
    return this.startIndex
  }

  /** Global index one past the last entry. */
  get end(): number {
    return this.startIndex + this.size
  }

  get length(): number {
    return this.size
  }

  append(entry: OplogEntry): number {
    if (this.offset + this.size >= this.secs.length) this.grow()
    const at = this.offset + this.size
    this.secs[at] = entry.secs
    this.ords[at] = entry.ord
    this.terms[at] = entry.term
    this.walls[at] = entry.wall
    this.ops[at] = OPS.indexOf(entry.op)
    this.colls[at] = this.collectionIndex(entry.coll)
    this.ids[at] = entry.id
    this.docs[at] = entry.doc
    this.prevs[at] = entry.prev
    this.size++
    return this.end - 1
  }

  /** The entry at a global index (start <= index < end). */
  get(index: number): OplogEntry {
    const at = this.slot(index)
    const entry: OplogEntry = {
      secs: this.secs[at],
      ord: this.ords[at],
      term: this.terms[at],
      wall: this.walls[at],
      op: OPS[this.ops[at]],
      coll: this.collNames[this.colls[at]],
      id: this.ids[at],
    }
    if (this.docs[at] !== undefined) entry.doc = this.docs[at]
    if (this.prevs[at] !== undefined) entry.prev = this.prevs[at]
    return entry
  }

  wallAt(index: number): number {
    return this.walls[this.slot(index)]
  }

  opTimeAt(index: number): OpTime {
    const at = this.slot(index)
    return {ts: {t: this.secs[at], i: this.ords[at]}, t: this.terms[at]}
  }

  /** OpTime of the last entry before global index `end` (NULL_OPTIME when there is none). */
  opTimeBefore(end: number): OpTime {
    return end > this.startIndex && end <= this.end ? this.opTimeAt(end - 1) : NULL_OPTIME
  }

  /** The number of leading entries in [from, to) whose wall time is <= `wall` (binary search). */
  countUpToWall(from: number, to: number, wall: number): number {
    let lo = Math.max(from, this.startIndex)
    let hi = Math.min(to, this.end)
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.walls[this.slot(mid)] <= wall) lo = mid + 1
      else hi = mid
    }
    return lo - from
  }

  /** Global index of the first entry whose OpTime is > `after` (binary search on the branch). */
  indexAfter(after: OpTime): number {
    let lo = this.startIndex
    let hi = this.end
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareOpTimes(this.opTimeAt(mid), after) <= 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Entries [from, to) as plain objects. */
  slice(from: number, to = this.end): OplogEntry[] {
    const out: OplogEntry[] = []
    for (let i = Math.max(from, this.startIndex); i < Math.min(to, this.end); i++) out.push(this.get(i))
    return out
  }

  /**
   * The entries [first, end) (default: all kept), frozen: a copy of the columns (numbers copied, documents by reference:
   * stored documents are immutable strings). A snapshot is written from it while the set moves on.
   */
  capture(first = this.startIndex, end = this.end): OplogCapture {
    if (first < this.startIndex || end > this.end) throw new RangeError(`oplog range [${first}, ${end}) outside [${this.startIndex}, ${this.end})`)
    const from = this.offset + (first - this.startIndex)
    const to = from + Math.max(0, end - first)
    return {
      start: first,
      length: to - from,
      secs: this.secs.slice(from, to),
      ords: this.ords.slice(from, to),
      terms: this.terms.slice(from, to),
      walls: this.walls.slice(from, to),
      ops: this.ops.slice(from, to),
      colls: this.colls.slice(from, to),
      collNames: [...this.collNames],
      ids: this.ids.slice(from, to),
      docs: this.docs.slice(from, to),
      prevs: this.prevs.slice(from, to),
    }
  }

  /** Lets go of the previous documents of entries before `index` (they can no longer be undone). */
  forgetPrevAt(index: number): void {
    if (index >= this.startIndex && index < this.end) this.prevs[this.slot(index)] = undefined
  }

  /** Drops every entry from global index `from` on (a rebase onto another branch). */
  truncateFrom(from: number): void {
    if (from >= this.end) return
    const keep = Math.max(0, from - this.startIndex)
    for (let i = this.offset + keep; i < this.offset + this.size; i++) {
      this.docs[i] = undefined
      this.prevs[i] = undefined
    }
    this.size = keep
    this.docs.length = this.offset + keep
    this.prevs.length = this.offset + keep
    this.ids.length = this.offset + keep
  }

  /** Drops the oldest entries so at most `max` remain (the capped collection falling off). */
  cap(max: number): number {
    const drop = this.size - max
    if (drop <= 0) return 0
    for (let i = this.offset; i < this.offset + drop; i++) {
      this.docs[i] = undefined
      this.prevs[i] = undefined
      this.ids[i] = ''
    }
    this.offset += drop
    this.size -= drop
    this.startIndex += drop
    if (this.offset > this.secs.length / 2) this.compact(this.secs.length)
    return drop
  }

  /** Restores the start index of a loaded oplog (entries before it were capped away). */
  setStart(index: number): void {
    if (this.size !== 0) throw new Error('setStart on a non-empty oplog')
    this.startIndex = index
  }

  private slot(index: number): number {
    if (index < this.startIndex || index >= this.end) throw new RangeError(`oplog index ${index} outside [${this.startIndex}, ${this.end})`)
    return this.offset + (index - this.startIndex)
  }

  private collectionIndex(name: string): number {
    let index = this.collIndex.get(name)
    if (index === undefined) {
      index = this.collNames.length
      this.collNames.push(name)
      this.collIndex.set(name, index)
    }
    return index
  }

  private grow(): void {
    this.compact(this.size * 2 > this.secs.length ? this.secs.length * 2 : this.secs.length)
  }

  /** Moves the live entries to the front of arrays of `capacity` slots. */
  private compact(capacity: number): void {
    const move = <T extends Uint32Array | Float64Array | Uint8Array | Uint16Array>(array: T, make: (n: number) => T): T => {
      const next = make(capacity)
      next.set(array.subarray(this.offset, this.offset + this.size))
      return next
    }
    this.secs = move(this.secs, (n) => new Uint32Array(n))
    this.ords = move(this.ords, (n) => new Uint32Array(n))
    this.terms = move(this.terms, (n) => new Uint32Array(n))
    this.walls = move(this.walls, (n) => new Float64Array(n))
    this.ops = move(this.ops, (n) => new Uint8Array(n))
    this.colls = move(this.colls, (n) => new Uint16Array(n))
    this.ids = this.ids.slice(this.offset, this.offset + this.size)
    this.docs = this.docs.slice(this.offset, this.offset + this.size)
    this.prevs = this.prevs.slice(this.offset, this.offset + this.size)
    this.offset = 0
  }
}
