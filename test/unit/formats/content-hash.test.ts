import {createHash} from 'node:crypto'
import {Readable} from 'node:stream'

import {Long, ObjectId, serialize, Timestamp, type Document} from 'bson'
import {describe, expect, test} from 'vitest'

import {hashArchiveAtConsistentPoint} from '../../../src/formats/content-hash/archive-hashes.js'
import {
  ContentHashState,
  compareContentHashes,
  hashCollections,
  hashOpFromOplogEntry,
  touchedKeys,
  type HashOp,
} from '../../../src/formats/content-hash/content-hash.js'
import {rawField, rawKey} from '../../../src/formats/content-hash/raw-bson.js'
import {encodeArchive} from '../../../src/formats/mongo-archive/encode.js'
import {UsageError} from '../../../src/errors.js'

const bson = (doc: Document) => Buffer.from(serialize(doc))
const sha = (bytes: Uint8Array) => BigInt('0x' + createHash('sha256').update(bytes).digest('hex'))
/** The definition, with BigInt: sum of SHA-256 mod 2^256, as 64 hex digits. */
const expectedSum = (docs: Uint8Array[]) => (docs.reduce((acc, d) => acc + sha(d), 0n) % 2n ** 256n).toString(16).padStart(64, '0')

const A = bson({_id: 1, name: 'asha'})
const B = bson({_id: 2, name: 'ravi'})
const C = bson({_id: 3, name: 'meera'})
const B2 = bson({_id: 2, name: 'ravi', flat: 'B-12'})

const oplogEntry = (op: string, o: Document, o2?: Document) =>
  bson({ts: new Timestamp({t: 1_700_000_000, i: 1}), t: Long.fromNumber(1), op, ns: 'visitors.entries', o, ...(o2 ? {o2} : {})})

describe('content hash of a collection', () => {
  test.each([
    ['A B C', [A, B, C]],
    ['C A B', [C, A, B]],
    ['B C A', [B, C, A]],
  ])('does not depend on document order (%s)', (_order, docs) => {
    expect(hashCollections([{ns: 'visitors.entries', documents: docs}])).toEqual({
      'visitors.entries': {documents: 3, sha256Sum: expectedSum([A, B, C])},
    })
  })

  test('is the sum of SHA-256 mod 2^256: it wraps around', () => {
    // Sixty-four copies of a document push the sum past 2^256 many times over.
    const many = Array.from({length: 64}, () => A)
    const state = new ContentHashState({track: new Set()})
    for (const d of many) state.addDocument('x.y', d)
    expect(state.hashes()['x.y']).toEqual({documents: 64, sha256Sum: expectedSum(many)})
  })

  test('a document present twice is not cancelled out (a sum, not an XOR)', () => {
    const twice = hashCollections([{ns: 'x.y', documents: [A, B, B]}])['x.y']
    const once = hashCollections([{ns: 'x.y', documents: [A]}])['x.y']
    expect(twice.sha256Sum).not.toBe(once.sha256Sum)
  })

  test('an empty collection that is declared is reported with a zero hash', () => {
    expect(hashCollections([{ns: 'x.empty', documents: []}])).toEqual({'x.empty': {documents: 0, sha256Sum: '0'.repeat(64)}})
  })
})

describe('applying an oplog slice to a hash state', () => {
  const id = (n: number) => rawKey(rawField(bson({_id: n}), '_id')!)
  const ns = 'visitors.entries'

  test.each<[string, HashOp[], Uint8Array[]]>([
    ['an insert adds the document', [{op: 'upsert', ns, id: id(3), document: C}], [A, B, C]],
    ['a delete subtracts it', [{op: 'delete', ns, id: id(2)}], [A]],
    ['an update replaces it', [{op: 'upsert', ns, id: id(2), document: B2}], [A, B2]],
    ['an insert of a document already there (fuzzy dump) replaces, not doubles', [{op: 'upsert', ns, id: id(1), document: A}], [A, B]],
    ['a delete of a document not there is a no-op', [{op: 'delete', ns, id: id(9)}], [A, B]],
    ['insert then delete leaves nothing of it', [{op: 'upsert', ns, id: id(3), document: C}, {op: 'delete', ns, id: id(3)}], [A, B]],
    ['a no-op changes nothing', [{op: 'none'}], [A, B]],
  ])('%s', (_what, ops, after) => {
    const state = new ContentHashState({track: touchedKeys(ops)})
    state.addDocument(ns, A)
    state.addDocument(ns, B)
    for (const op of ops) state.applyOp(op)
    expect(state.hashes()[ns]).toEqual({documents: after.length, sha256Sum: expectedSum(after)})
    // The same as hashing the resulting collection directly.
    expect(state.hashes()[ns]).toEqual(hashCollections([{ns, documents: after}])[ns])
  })

  test('an operation on a document the state was not told to track is refused', () => {
    const state = new ContentHashState({track: new Set()})
    state.addDocument(ns, A)
    expect(() => state.applyOp({op: 'delete', ns, id: id(1)})).toThrow(/not told to track/)
  })
})

describe('oplog entries as hash operations', () => {
  test.each([
    ['insert', oplogEntry('i', {_id: 3, name: 'meera'}), {op: 'upsert', ns: 'visitors.entries', document: C}],
    ['replacement update (o2 names the _id)', oplogEntry('u', {_id: 2, name: 'ravi', flat: 'B-12'}, {_id: 2}), {op: 'upsert', ns: 'visitors.entries', document: B2}],
    ['delete', oplogEntry('d', {_id: 2}), {op: 'delete', ns: 'visitors.entries'}],
  ])('%s', (_what, entry, expected) => {
    const op = hashOpFromOplogEntry(entry)
    expect(op).toMatchObject(expected)
  })

  test('a no-op', () => {
    expect(hashOpFromOplogEntry(bson({op: 'n', ns: '', o: {msg: 'periodic noop'}}))).toEqual({op: 'none'})
  })

  test.each([
    ['a modifier update', oplogEntry('u', {$set: {name: 'x'}}, {_id: 2}), /modifier update \(\$set\)/],
    ['a $v:2 diff update', oplogEntry('u', {$v: 2, diff: {u: {name: 'x'}}}, {_id: 2}), /modifier update \(\$v\)/],
    ['a command', bson({op: 'c', ns: 'visitors.$cmd', o: {drop: 'entries'}}), /op "c" on visitors\.\$cmd cannot be applied/],
    ['an insert without _id', oplogEntry('i', {name: 'x'}), /has no _id/],
  ])('refuses %s, naming it', (_what, entry, message) => {
    expect(() => hashOpFromOplogEntry(entry)).toThrow(UsageError)
    expect(() => hashOpFromOplogEntry(entry)).toThrow(message)
  })

  test('ObjectId _ids key by their bytes', () => {
    const oid = new ObjectId('65a1b2c3d4e5f60718293a4b')
    const op = hashOpFromOplogEntry(bson({op: 'd', ns: 'a.b', o: {_id: oid}}))
    expect(op).toEqual({op: 'delete', ns: 'a.b', id: '\x07' + Buffer.from(oid.id).toString('latin1')})
  })
})

describe('hashes of an archive at its consistent point', () => {
  test('documents plus the captured oplog equal the collection hashed after the replay', async () => {
    const docs = Array.from({length: 500}, (_, i) => bson({_id: i, v: i}))
    const oplog = [
      oplogEntry('i', {_id: 500, v: 500}),
      oplogEntry('u', {_id: 7, v: 'seven'}, {_id: 7}),
      oplogEntry('d', {_id: 9}),
    ]
    const chunks: Buffer[] = []
    for await (const c of encodeArchive({serverVersion: '7.0', toolVersion: 't', collections: [
      {db: 'visitors', collection: 'entries', documents: docs},
      {db: 'visitors', collection: 'empty', documents: []},
    ], oplog})) chunks.push(c)
    const archive = Buffer.concat(chunks)
    const result = await hashArchiveAtConsistentPoint(() => Readable.from([archive]))

    const after = docs.filter((_, i) => i !== 9).map((d, i) => (i === 7 ? bson({_id: 7, v: 'seven'}) : d))
    after.push(bson({_id: 500, v: 500}))
    expect(result.oplogEntries).toBe(3)
    expect(result.collections).toEqual({
      'visitors.empty': {documents: 0, sha256Sum: '0'.repeat(64)},
      'visitors.entries': {documents: 500, sha256Sum: expectedSum(after)},
    })
  })

  test('compareContentHashes names the collections that differ', () => {
    const expected = {'a.x': {documents: 1, sha256Sum: 'aa'}, 'a.y': {documents: 2, sha256Sum: 'bb'}}
    expect(compareContentHashes(expected, {'a.x': {documents: 1, sha256Sum: 'aa'}, 'a.y': {documents: 2, sha256Sum: 'bc'}})).toEqual([
      {ns: 'a.y', expected: expected['a.y'], actual: {documents: 2, sha256Sum: 'bc'}},
    ])
    expect(compareContentHashes(expected, {'a.x': {documents: 1, sha256Sum: 'aa'}})).toEqual([{ns: 'a.y', expected: expected['a.y'], actual: undefined}])
  })
})
