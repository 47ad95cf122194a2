import {Decimal128, type Document, ObjectId} from 'bson'

import {fnv1a32} from '../controllers/template-hash.js'
import type {Collections} from './collections.js'
import type {OpKind} from './oplog.js'
import {decodeStored, type StoredDocument, storeObject} from './stored-document.js'

/**
 * The deterministic workload the simulated MyGate services write to their databases: the n-th
 * write of a database is a function of (database, n, time), so the same history produces the
 * same documents. Documents are BSON (ObjectId `_id`, dates, decimal128 amounts, int32 counts),
 * encoded once here with the official `bson` package and stored as those bytes.
 */

export interface WorkloadWrite {
  op: Exclude<OpKind, 'n'>
  coll: string
  id: string
  /** The new document (insert, update). */
  doc?: StoredDocument
}

/** What each service writes, by its database name (the `-db` service minus `-db`). */
export const SERVICE_COLLECTIONS: Record<string, string[]> = {
  visitors: ['gateEntries'],
  billing: ['invoices', 'payments'],
  users: ['profiles'],
  amenities: ['bookings'],
  maintenance: ['tickets'],
  notifications: ['deliveries'],
  reports: ['snapshots'],
  auth: ['sessions'],
}

/** A small deterministic PRNG (mulberry32) seeded per write. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const FIRST = ['Aarav', 'Vivaan', 'Aditya', 'Ananya', 'Diya', 'Ishaan', 'Kavya', 'Meera', 'Rohan', 'Saanvi', 'Arjun', 'Priya', 'Rahul', 'Sneha', 'Vikram', 'Neha', 'Karan', 'Pooja', 'Nikhil', 'Lakshmi']
const LAST = ['Sharma', 'Iyer', 'Reddy', 'Nair', 'Patel', 'Gupta', 'Rao', 'Menon', 'Das', 'Singh', 'Kulkarni', 'Joshi', 'Banerjee', 'Pillai', 'Chopra']
const SOCIETIES = ['prestige-lakeside', 'sobha-dream-acres', 'brigade-metropolis', 'dlf-westend', 'godrej-woodsman', 'mantri-espana', 'purva-riviera', 'salarpuria-greenage']
const PURPOSES = ['delivery', 'guest', 'cab', 'maid', 'electrician', 'plumber', 'courier', 'relative']
const AMENITIES = ['clubhouse', 'pool', 'tennis-court', 'gym', 'party-hall', 'badminton-court']
const CATEGORIES = ['plumbing', 'electrical', 'carpentry', 'lift', 'housekeeping', 'security', 'painting']
const CHANNELS = ['push', 'sms', 'email', 'whatsapp']
const TEMPLATES = ['visitor-arrived', 'invoice-due', 'payment-received', 'booking-confirmed', 'ticket-updated', 'notice-board']
const METHODS = ['upi', 'card', 'netbanking', 'wallet']
const DEVICES = ['android', 'ios', 'web']

export interface WriteContext {
  database: string
  /** The n-th write of this database (persisted with the oplog). */
  seq: number
  wallMs: number
  collections: Collections
  /** Recently inserted _ids per collection (targets for updates); not persisted, refills itself. */
  recent: Map<string, string[]>
}

const RECENT_KEPT = 64

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length) % items.length]
}

/** 24 hex digits like an ObjectId: 4 bytes of seconds, 5 bytes per database, 3 bytes counter. */
export function objectIdHex(database: string, seq: number, wallMs: number): string {
  const seconds = Math.floor(wallMs / 1000) >>> 0
  const machine = fnv1a32(`oid:${database}`).toString(16).padStart(8, '0') + (fnv1a32(`oid2:${database}`) & 0xff).toString(16).padStart(2, '0')
  return seconds.toString(16).padStart(8, '0') + machine + (seq & 0xffffff).toString(16).padStart(6, '0')
}

const oid = (hex: string): ObjectId => new ObjectId(hex)
const date = (ms: number): Date => new Date(ms)
const decimal = (value: number): Decimal128 => Decimal128.fromString(value.toFixed(2))
const flat = (rand: () => number): string => `${pick(rand, ['A', 'B', 'C', 'D', 'E'])}-${100 + Math.floor(rand() * 1400)}`
const phone = (rand: () => number): string => `+91${Math.floor(6_000_000_000 + rand() * 3_999_999_999)}`
const person = (rand: () => number): string => `${pick(rand, FIRST)} ${pick(rand, LAST)}`

function remember(context: WriteContext, coll: string, id: string): void {
  let list = context.recent.get(coll)
  if (!list) context.recent.set(coll, (list = []))
  list.push(id)
  if (list.length > RECENT_KEPT) list.shift()
}

/** A recent _id of `coll` still present in the collection, if any. */
function recentTarget(context: WriteContext, coll: string, rand: () => number): string | undefined {
  const list = context.recent.get(coll) ?? []
  for (let attempt = 0; attempt < 3 && list.length > 0; attempt++) {
    const id = list[Math.floor(rand() * list.length) % list.length]
    if (context.collections.get(coll, id) !== undefined) return id
  }
  return undefined
}

/**
 * A full-document replacement of `before` with some fields set (a field already there keeps its
 * place, a new one goes last, as a $set does); every other field keeps its exact BSON type.
 */
function withFields(before: StoredDocument, fields: Document): StoredDocument {
  const document = decodeStored(before)
  for (const [name, value] of Object.entries(fields)) document[name] = value
  return storeObject(document)
}

/**
 * The writes of the `seq`-th step of a database's workload (usually one, two for a payment
 * that also marks its invoice paid). Unknown databases write generic `events`. Integers are
 * written as int32 (what a driver sends for a small JavaScript integer), money as decimal128.
 */
export function nextWrites(context: WriteContext): WorkloadWrite[] {
  const {database, seq, wallMs} = context
  const rand = prng(fnv1a32(`${database}:${seq}`))
  const id = objectIdHex(database, seq, wallMs)
  const society = pick(rand, SOCIETIES)
  const insert = (coll: string, fields: Document): WorkloadWrite => {
    remember(context, coll, id)
    return {op: 'i', coll, id, doc: storeObject({_id: oid(id), societyId: society, ...fields})}
  }
  const update = (coll: string, field: string, value: unknown): WorkloadWrite | undefined => {
    const target = recentTarget(context, coll, rand)
    const before = target === undefined ? undefined : context.collections.get(coll, target)
    if (target === undefined || before === undefined) return undefined
    return {op: 'u', coll, id: target, doc: withFields(before, {[field]: value, updatedAt: date(wallMs)})}
  }
  const roll = rand()
  switch (database) {
    case 'visitors': {
      if (roll < 0.3) {
        const exit = update('gateEntries', 'status', 'left')
        if (exit) return [exit]
      }
      return [
        insert('gateEntries', {
          flat: flat(rand),
          visitorName: person(rand),
          phone: phone(rand),
          purpose: pick(rand, PURPOSES),
          vehicle: rand() < 0.4 ? `KA${10 + Math.floor(rand() * 40)}${String.fromCharCode(65 + Math.floor(rand() * 26))}${1000 + Math.floor(rand() * 8999)}` : null,
          guardId: `guard-${1 + Math.floor(rand() * 12)}`,
          entryAt: date(wallMs),
          exitAt: null,
          status: 'inside',
        }),
      ]
    }
    case 'billing': {
      if (roll < 0.45) {
        const invoice = recentTarget(context, 'invoices', rand)
        const invoiceDoc = invoice === undefined ? undefined : context.collections.get('invoices', invoice)
        const fields = invoiceDoc === undefined ? undefined : decodeStored(invoiceDoc)
        if (invoice !== undefined && invoiceDoc !== undefined && fields?.status === 'due') {
          const amount = Number(fields.amount instanceof Decimal128 ? fields.amount.toString() : 0)
          const payment = insert('payments', {invoiceId: oid(invoice), amount: decimal(amount), method: pick(rand, METHODS), gatewayRef: `pay_${id.slice(-12)}`, paidAt: date(wallMs)})
          return [payment, {op: 'u', coll: 'invoices', id: invoice, doc: withFields(invoiceDoc, {status: 'paid', updatedAt: date(wallMs)})}]
        }
      }
      const period = new Date(wallMs).toISOString().slice(0, 7)
      return [
        insert('invoices', {
          flat: flat(rand),
          period,
          amount: decimal(1500 + Math.floor(rand() * 8500) + Math.floor(rand() * 100) / 100),
          dueDate: date(wallMs + 15 * 86_400_000),
          status: 'due',
          lineItems: Math.ceil(rand() * 4),
        }),
      ]
    }
    case 'users': {
      if (roll < 0.7) {
        const login = update('profiles', 'lastLoginAt', date(wallMs))
        if (login) return [login]
      }
      const name = person(rand)
      return [
        insert('profiles', {
          name,
          phone: phone(rand),
          email: `${name.toLowerCase().replace(' ', '.')}${seq % 1000}@example.in`,
          flat: flat(rand),
          role: pick(rand, ['owner', 'tenant', 'family']),
          createdAt: date(wallMs),
          lastLoginAt: null,
        }),
      ]
    }
    case 'amenities': {
      if (roll < 0.2) {
        const cancel = update('bookings', 'status', 'cancelled')
        if (cancel) return [cancel]
      }
      const slot = Math.floor(wallMs / 3_600_000) * 3_600_000 + (1 + Math.floor(rand() * 72)) * 3_600_000
      return [insert('bookings', {amenity: pick(rand, AMENITIES), flat: flat(rand), slotStart: date(slot), slotEnd: date(slot + 3_600_000), guests: Math.floor(rand() * 6), status: 'confirmed'})]
    }
    case 'maintenance': {
      if (roll < 0.5) {
        const progress = update('tickets', 'status', pick(rand, ['in-progress', 'resolved']))
        if (progress) return [progress]
      }
      const category = pick(rand, CATEGORIES)
      return [
        insert('tickets', {
          flat: flat(rand),
          category,
          description: `${category} issue reported by resident`,
          priority: pick(rand, ['low', 'medium', 'high']),
          status: 'open',
          openedAt: date(wallMs),
        }),
      ]
    }
    case 'notifications':
      return [
        insert('deliveries', {
          userId: oid(objectIdHex('users', Math.floor(rand() * 5000), wallMs - 86_400_000)),
          channel: pick(rand, CHANNELS),
          template: pick(rand, TEMPLATES),
          status: rand() < 0.97 ? 'delivered' : 'failed',
          sentAt: date(wallMs),
        }),
      ]
    case 'reports':
      return [
        insert('snapshots', {
          kind: pick(rand, ['collections', 'visitors-daily', 'occupancy', 'dues-ageing']),
          period: new Date(wallMs).toISOString().slice(0, 10),
          metrics: {total: Math.floor(rand() * 10000), delta: Math.floor(rand() * 200) - 100},
          generatedAt: date(wallMs),
        }),
      ]
    case 'auth': {
      if (roll < 0.3) {
        const expired = context.collections.oldestId('sessions')
        const before = expired === undefined ? undefined : context.collections.get('sessions', expired)
        if (expired !== undefined && before !== undefined) return [{op: 'd', coll: 'sessions', id: expired}]
      }
      return [
        insert('sessions', {
          userId: oid(objectIdHex('users', Math.floor(rand() * 5000), wallMs - 86_400_000)),
          device: pick(rand, DEVICES),
          ip: `10.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}`,
          issuedAt: date(wallMs),
          expiresAt: date(wallMs + 1_800_000),
        }),
      ]
    }
    default:
      return [insert('events', {kind: 'simulated', seq, at: date(wallMs)})]
  }
}

/** The application database a replica set holds: `billing-db` holds `billing`. */
export function databaseOfSet(setName: string): string {
  return setName.endsWith('-db') ? setName.slice(0, -3) : setName
}

/** The service whose traffic writes to a database (the descriptor convention `SERVICE-db`). */
export function serviceOfDatabase(database: string): string {
  return database
}
