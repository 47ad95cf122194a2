import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {BSON, Decimal128, Double, Int32, Long, ObjectId, Timestamp} from 'bson'
import {afterEach, describe, expect, test} from 'vitest'

import {hashCollections} from '../../../../src/formats/content-hash/content-hash.js'
import {rawField} from '../../../../src/formats/content-hash/raw-bson.js'
import {Collections} from '../../../../src/local-cluster/data-plane/collections.js'
import {replSetInitiate} from '../../../../src/local-cluster/data-plane/commands.js'
import {DataPlane} from '../../../../src/local-cluster/data-plane/data-plane.js'
import {newMember} from '../../../../src/local-cluster/data-plane/engine.js'
import {hashPassword} from '../../../../src/local-cluster/data-plane/jobs/session.js'
import {loadedDocument, persistedDocument} from '../../../../src/local-cluster/data-plane/persistence.js'
import {bsonOf, decodeStored, extendedJsonOf, storeBson, storedSize, storeExtendedJson, storeObject, transientBsonViews} from '../../../../src/local-cluster/data-plane/stored-document.js'
import {nextWrites, SERVICE_COLLECTIONS} from '../../../../src/local-cluster/data-plane/workload.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/** BSON's type byte of each top-level field, in order (read from the bytes, not from a decode). */
function typeBytes(bson: Uint8Array): Array<[string, number]> {
  return Object.keys(BSON.deserialize(bson)).map((name) => [name, rawField(bson, name)?.type ?? -1])
}

describe('documents kept as their BSON bytes', () => {
  test('transient views give each document\'s exact bytes, a larger one than the buffer included, and hash as copies do', () => {
    const documents = [storeObject({_id: new ObjectId(), n: new Int32(1)}), storeObject({_id: 'big', blob: 'x'.repeat(100_000)}), storeObject({_id: new ObjectId(), d: new Double(2)})]
    const seen: string[] = []
    for (const view of transientBsonViews(documents)) seen.push(Buffer.from(view).toString('latin1'))
    expect(seen).toEqual(documents)
    const viaViews = hashCollections([{ns: 'db.c', documents: transientBsonViews(documents)}])
    const viaCopies = hashCollections([{ns: 'db.c', documents: documents.map(bsonOf)}])
    expect(viaViews).toEqual(viaCopies)
    expect(viaViews['db.c'].documents).toBe(3)
  })

  // Every BSON type the workload writes (ObjectId, string, null, date, decimal128, int32, embedded
  // document), and the ones a restored archive may bring (double, int64, boolean, timestamp, array,
  // binary) that a decode-and-encode round trip must not change (a whole double must stay a double).
  test.each([
    ['ObjectId', new ObjectId('6740a1b2c3d4e5f601020304'), 0x07],
    ['string with non-ASCII text', 'Ananya Nair, Flat B-1204 — ₹ paid', 0x02],
    ['null', null, 0x0a],
    ['date', new Date(Date.UTC(2026, 11, 1, 9, 30)), 0x09],
    ['decimal128', Decimal128.fromString('4521.37'), 0x13],
    ['int32', new Int32(42), 0x10],
    ['negative int32', new Int32(-73), 0x10],
    ['embedded document', {total: new Int32(9000), delta: new Int32(-12)}, 0x03],
    ['whole double', new Double(5), 0x01],
    ['int64', Long.fromString('9007199254740993'), 0x12],
    ['boolean', true, 0x08],
    ['timestamp', new Timestamp({t: 1_764_581_400, i: 7}), 0x11],
    ['array', ['a', new Int32(1)], 0x04],
    ['binary with every byte value', new BSON.Binary(Uint8Array.from({length: 256}, (_, i) => i)), 0x05],
  ])('%s: stored, read back and re-encoded byte for byte, type kept', (_name, value, type) => {
    const original = BSON.serialize({_id: new ObjectId('6740a1b2c3d4e5f601020304'), value})
    const stored = storeBson(original)
    expect(storedSize(stored)).toBe(original.length)
    expect(bsonOf(stored).equals(Buffer.from(original))).toBe(true)
    expect(typeBytes(bsonOf(stored))).toEqual([['_id', 0x07], ['value', type]])
    // Decoding for an update and encoding again changes nothing it did not touch.
    expect(Buffer.from(BSON.serialize(decodeStored(stored))).equals(Buffer.from(original))).toBe(true)
    // And what is written to disk (base64) loads back to the same bytes.
    expect(loadedDocument(persistedDocument(stored))).toBe(stored)
  })

  test.each(Object.keys(SERVICE_COLLECTIONS))('every document the %s workload writes survives storage, decoding and the disk format unchanged', (database) => {
    const collections = new Collections()
    const recent = new Map<string, string[]>()
    const seen = new Set<number>()
    for (let seq = 0; seq < 300; seq++) {
      for (const write of nextWrites({database, seq, wallMs: Date.UTC(2026, 11, 1) + seq * 500, collections, recent})) {
        const prev = collections.get(write.coll, write.id)
        collections.apply({secs: 0, ord: 0, term: 1, wall: 0, op: write.op, coll: write.coll, id: write.id, ...(write.doc ? {doc: write.doc} : {}), ...(prev ? {prev} : {})})
        if (!write.doc) continue
        const bytes = bsonOf(write.doc)
        for (const [, type] of typeBytes(bytes)) seen.add(type)
        expect(Buffer.from(BSON.serialize(decodeStored(write.doc))).equals(bytes)).toBe(true)
        expect(loadedDocument(persistedDocument(write.doc))).toBe(write.doc)
      }
    }
    // Only the types listed in the table above.
    expect([...seen].every((type) => [0x02, 0x03, 0x07, 0x09, 0x0a, 0x10, 0x13].includes(type))).toBe(true)
  })

  test('format 1 documents (Extended JSON text on disk) load as the BSON the canonical parser gives', () => {
    const text = '{"_id":{"$oid":"6740a1b2c3d4e5f601020304"},"amount":{"$numberDecimal":"12.50"},"guests":3,"at":{"$date":"2026-12-01T09:30:00.000Z"}}'
    const loaded = loadedDocument(text)
    expect(loaded).toBe(storeExtendedJson(text))
    expect(decodeStored(loaded)).toEqual({_id: new ObjectId('6740a1b2c3d4e5f601020304'), amount: Decimal128.fromString('12.50'), guests: new Int32(3), at: new Date('2026-12-01T09:30:00.000Z')})
    expect(extendedJsonOf(loaded)).toContain('"guests":3')
  })

  test('a document object is encoded once, as the bson package encodes it', () => {
    const document = {_id: new ObjectId('6740a1b2c3d4e5f601020304'), n: 3}
    expect(bsonOf(storeObject(document)).equals(Buffer.from(BSON.serialize(document)))).toBe(true)
  })
})

describe('stored BSON across a restart', () => {
  function seeded(dir: string) {
    let now = Date.UTC(2026, 11, 1)
    const dp = new DataPlane({stateDir: dir, autoTick: false, clock: () => now, resolveHost: (_set, host) => host.split(':')[0]})
    const member = newMember('a', {cluster: 'r1', namespace: 'ns', pod: 'a', podUid: 'a', claim: 'data-a'}, 'billing-db', 27017, now)
    member.users = [hashPassword('root', 'pw', 'salt', 1000)]
    dp.engine.members.set('a', member)
    dp.engine.setUp('a', true, now)
    replSetInitiate({engine: dp.engine, now, clusterSetOf: () => 'env'}, member, {_id: 'billing-db', members: [{_id: 0, host: 'a:27017'}]})
    for (let i = 0; i < 50 && !dp.engine.primaryOf([...dp.engine.sets.values()][0]); i++) dp.engine.tick((now += 100))
    const set = [...dp.engine.sets.values()][0]
    for (let i = 0; i < 2000; i++) dp.engine.writeStep(set, (now += 5))
    return {dp, set}
  }
  const documents = (dp: DataPlane) => {
    const set = [...dp.engine.sets.values()][0]
    return Object.fromEntries(set.data.names().map((name) => [name, [...set.data.entries(name)].map(([id, doc]) => [id, bsonOf(doc).toString('hex')])]))
  }
  const hashes = (dp: DataPlane) => {
    const set = [...dp.engine.sets.values()][0]
    return hashCollections(set.data.names().map((name) => ({ns: `billing.${name}`, documents: set.data.documents(name).map(bsonOf)})))
  }
  const reopen = (dir: string) => new DataPlane({stateDir: dir, autoTick: false, resolveHost: (_set, host) => host.split(':')[0]})

  test.each([
    ['from the log alone (kill -9 after a flush)', false],
    ['from a snapshot plus the log', true],
  ])('%s: every document comes back byte for byte, updates included, and hashes the same', async (_name, compact) => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-dp-bson-'))
    dirs.push(dir)
    const {dp, set} = seeded(dir)
    if (compact) {
      await dp.compact()
      for (let i = 0; i < 200; i++) dp.engine.writeStep(set, Date.UTC(2026, 11, 2) + i)
    }
    await dp.flush()
    const before = documents(dp)
    expect(before.invoices.length + before.payments.length).toBe(set.data.totalDocuments())
    // Payments mark their invoices paid: updates (replacement documents with prev) are in there.
    expect(set.oplog.slice(set.oplog.start).some((e) => e.op === 'u')).toBe(true)
    const reopened = reopen(dir)
    expect(reopened.warnings).toEqual([])
    expect(documents(reopened)).toEqual(before)
    expect(hashes(reopened)).toEqual(hashes(dp))
    // The oplog's documents come back as the very documents the collections hold.
    const again = [...reopened.engine.sets.values()][0]
    const inserted = again.oplog.get(again.oplog.end - 1)
    if (inserted.op === 'i' || inserted.op === 'u') expect(inserted.doc).toBe(again.data.get(inserted.coll, inserted.id))
    await reopened.close()
  })
})
