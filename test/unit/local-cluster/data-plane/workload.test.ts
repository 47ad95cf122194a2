import {describe, expect, test} from 'vitest'

import {Decimal128, ObjectId} from 'bson'

import {Collections} from '../../../../src/local-cluster/data-plane/collections.js'
import {decodeStored, extendedJsonOf, type StoredDocument} from '../../../../src/local-cluster/data-plane/stored-document.js'
import {databaseOfSet, nextWrites, objectIdHex, SERVICE_COLLECTIONS, type WriteContext} from '../../../../src/local-cluster/data-plane/workload.js'

const wall = Date.UTC(2026, 11, 1, 9, 30)

/** Runs `steps` workload steps of a database into fresh collections. */
function run(database: string, steps: number): {collections: Collections; writes: ReturnType<typeof nextWrites>} {
  const collections = new Collections()
  const context: WriteContext = {database, seq: 0, wallMs: wall, collections, recent: new Map()}
  const writes: ReturnType<typeof nextWrites> = []
  for (let seq = 0; seq < steps; seq++) {
    const step = nextWrites({...context, seq, wallMs: wall + seq * 400})
    for (const write of step) {
      const prev = write.op === 'i' ? undefined : collections.get(write.coll, write.id)
      collections.apply({secs: 0, ord: 0, term: 1, wall: 0, op: write.op, coll: write.coll, id: write.id, ...(write.doc ? {doc: write.doc} : {}), ...(prev ? {prev} : {})})
      writes.push(write)
    }
  }
  return {collections, writes}
}

describe('the simulated services\' workload', () => {
  test.each(Object.entries(SERVICE_COLLECTIONS))('%s writes %j with BSON documents keyed by their ObjectId', (database, collections) => {
    const {collections: data, writes} = run(database, 300)
    expect(data.names()).toEqual([...collections].sort())
    for (const write of writes.filter((w) => w.doc)) {
      const doc = decodeStored(write.doc as StoredDocument)
      expect(doc._id).toBeInstanceOf(ObjectId)
      expect((doc._id as ObjectId).toHexString()).toBe(write.id)
      expect(doc.societyId).toMatch(/^[a-z-]+$/)
    }
  })

  test('it is deterministic: the same steps write the same documents', () => {
    expect(run('billing', 200).writes).toEqual(run('billing', 200).writes)
  })

  test('billing pays invoices: a payment references a due invoice, which turns paid with the same amount', () => {
    const {collections} = run('billing', 400)
    const payments = [...collections.entries('payments')].map(([, doc]) => decodeStored(doc))
    expect(payments.length).toBeGreaterThan(10)
    for (const payment of payments) {
      const invoice = decodeStored(collections.get('invoices', (payment.invoiceId as ObjectId).toHexString()) as StoredDocument)
      expect(invoice.status).toBe('paid')
      expect(invoice.amount).toBeInstanceOf(Decimal128)
      expect(String(invoice.amount)).toBe(String(payment.amount))
    }
  })

  test('documents average a couple of hundred bytes of JSON (the issue sizes 1,000,000 at about 200 MB); stats count their BSON bytes', () => {
    let json = 0
    let bson = 0
    let statsBytes = 0
    let count = 0
    for (const database of Object.keys(SERVICE_COLLECTIONS)) {
      const {collections} = run(database, 200)
      for (const stats of collections.stats()) {
        statsBytes += stats.sizeBytes
        count += stats.count
        for (const [, doc] of collections.entries(stats.name)) {
          json += extendedJsonOf(doc).length
          bson += doc.length
        }
      }
    }
    expect(json / count).toBeGreaterThan(150)
    expect(json / count).toBeLessThan(320)
    expect(statsBytes).toBe(bson)
  })

  test.each([
    ['billing-db', 'billing'],
    ['visitors-db', 'visitors'],
    ['rs0', 'rs0'],
  ])('replica set %s holds database %s', (set, database) => {
    expect(databaseOfSet(set)).toBe(database)
  })

  test('ObjectIds carry the seconds, a per-database part and a counter', () => {
    const id = objectIdHex('billing', 0x1234, wall)
    expect(parseInt(id.slice(0, 8), 16)).toBe(Math.floor(wall / 1000))
    expect(id.slice(-6)).toBe('001234')
    expect(objectIdHex('billing', 1, wall).slice(8, 18)).not.toBe(objectIdHex('users', 1, wall).slice(8, 18))
  })
})
