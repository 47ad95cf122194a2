import {pbkdf2Sync, randomBytes, timingSafeEqual} from 'node:crypto'

import {
  collectionStatsAt,
  type CommandContext,
  hello,
  replicationInfo,
  replSetGetConfig,
  replSetGetStatus,
  replSetInitiate,
  replSetReconfig,
  replSetStepDown,
  rollbacksOf,
} from '../commands.js'
import {serverError, ServerError} from '../config.js'
import type {Member, RollbackEvent, UserRecord} from '../state.js'
import type {StoredDocument} from '../stored-document.js'

/**
 * A simulated mongosh connection to one member, offering the calls the ops scripts make
 * (db.hello(), rs.status(), rs.conf(), rs.initiate(), rs.reconfig(), rs.stepDown(), ...) with
 * MongoDB's access control: with auth on (--keyFile, --auth), everything but hello needs an
 * authenticated user ("command X requires authentication"); a wrong password is
 * "Authentication failed." Users are checked against salted PBKDF2 hashes, never stored in clear.
 */
export class Session {
  private authenticated = false

  constructor(
    readonly ctx: CommandContext,
    readonly member: Member,
  ) {}

  /** db.getSiblingDB('admin').auth(user, password). */
  auth(user: string, password: string | undefined): void {
    const users = this.ctx.engine.setOf(this.member)?.users ?? this.member.users
    const record = users.find((u) => u.user === user && u.db === 'admin')
    if (!record || password === undefined || !passwordMatches(record, password)) throw serverError('AuthenticationFailed', 'Authentication failed.')
    this.authenticated = true
  }

  private require(command: string): void {
    if (this.member.auth && !this.authenticated) throw serverError('Unauthorized', `command ${command} requires authentication`)
  }

  hello(): Record<string, unknown> {
    return hello(this.ctx, this.member)
  }

  rsStatus(): Record<string, unknown> {
    this.require('replSetGetStatus')
    return replSetGetStatus(this.ctx, this.member)
  }

  rsConf(): ReturnType<typeof replSetGetConfig>['config'] {
    this.require('replSetGetConfig')
    return replSetGetConfig(this.ctx, this.member).config
  }

  configCommitted(): boolean {
    this.require('replSetGetConfig')
    return replSetGetConfig(this.ctx, this.member).commitmentStatus
  }

  rsInitiate(config: Parameters<typeof replSetInitiate>[2]): void {
    this.require('replSetInitiate')
    replSetInitiate(this.ctx, this.member, config)
  }

  rsReconfig(config: Parameters<typeof replSetReconfig>[2], force: boolean): void {
    this.require('replSetReconfig')
    replSetReconfig(this.ctx, this.member, config, force)
  }

  rsStepDown(stepDownSecs: number, catchUpSecs: number): void {
    this.require('replSetStepDown')
    replSetStepDown(this.ctx, this.member, stepDownSecs, catchUpSecs)
  }

  replicationInfo(): Record<string, unknown> {
    this.require('find')
    return replicationInfo(this.ctx, this.member)
  }

  collectionStats(database: string): ReturnType<typeof collectionStatsAt> {
    this.require('listCollections')
    if (!['PRIMARY', 'SECONDARY'].includes(this.member.state)) throw serverError('NotPrimaryOrSecondary', 'node is not in primary or recovering state')
    return collectionStatsAt(this.ctx, this.member, database)
  }

  /**
   * find() over every collection of a database, as the member holds it: the documents' stored
   * BSON per collection (what a raw find returns). Served from the set's head, so read from the PRIMARY (a lagging
   * secondary would answer from its own older position on a real server).
   */
  collectionDocuments(database: string): Array<{name: string; documents: StoredDocument[]}> {
    this.require('find')
    if (!['PRIMARY', 'SECONDARY'].includes(this.member.state)) throw serverError('NotPrimaryOrSecondary', 'node is not in primary or recovering state')
    const set = this.ctx.engine.setOf(this.member)
    if (!set || set.database !== database) return []
    return set.data.names().map((name) => ({name, documents: set.data.documents(name)}))
  }

  /**
   * status.js's writesSince: oplog entries of the database after `after`, by kind, as the member
   * holds its oplog; incomplete when the capped oplog starts after `after`.
   */
  writesSince(database: string, after: {t: number; i: number}): {inserts: number; updates: number; deletes: number; complete: boolean} {
    this.require('find')
    const set = this.ctx.engine.setOf(this.member)
    const counts = {inserts: 0, updates: 0, deletes: 0}
    if (!set) return {...counts, complete: false}
    const end = Math.min(this.member.applied, set.oplog.end)
    const later = (e: {secs: number; ord: number}) => e.secs > after.t || (e.secs === after.t && e.ord > after.i)
    let complete = false
    for (let index = set.oplog.start; index < end; index++) {
      const entry = set.oplog.get(index)
      if (index === set.oplog.start) complete = !later(entry)
      if (!later(entry) || set.database !== database) continue
      if (entry.op === 'i') counts.inserts++
      else if (entry.op === 'u') counts.updates++
      else if (entry.op === 'd') counts.deletes++
    }
    return {...counts, complete}
  }

  /**
   * The admin database's users (db.getUsers(), db.getUser(), db.createUser(), db.updateUser(),
   * db.dropUser()): writes go through the PRIMARY, like any write to admin.system.users, and
   * are the set's (its members share them). Passwords are kept as salted PBKDF2 hashes only.
   */
  adminUsers(): string[] {
    this.require('usersInfo')
    return this.usersOfSet('usersInfo').map((u) => u.user)
  }

  createUser(user: string, password: string): void {
    this.require('createUser')
    const users = this.usersOfSet('createUser', true)
    if (users.some((u) => u.user === user)) throw serverError('Location51003', `User "${user}@admin" already exists`)
    users.push(hashPassword(user, password, randomBytes(12).toString('base64')))
    this.touched()
  }

  updateUser(user: string, password: string): void {
    this.require('updateUser')
    const users = this.usersOfSet('updateUser', true)
    const at = users.findIndex((u) => u.user === user)
    if (at < 0) throw serverError('UserNotFound', `Could not find user "${user}" for db "admin"`)
    users[at] = hashPassword(user, password, randomBytes(12).toString('base64'))
    this.touched()
  }

  dropUser(user: string): void {
    this.require('dropUser')
    const users = this.usersOfSet('dropUser', true)
    const at = users.findIndex((u) => u.user === user)
    if (at < 0) throw serverError('UserNotFound', `Could not find user "${user}" for db "admin"`)
    users.splice(at, 1)
    this.touched()
  }

  private usersOfSet(command: string, write = false): UserRecord[] {
    const set = this.ctx.engine.setOf(this.member)
    if (!set) throw serverError('NotYetInitialized', `${command}: no replset config has been received`)
    if (write && this.member.state !== 'PRIMARY') throw serverError('NotWritablePrimary', 'not primary')
    return set.users
  }

  private touched(): void {
    const set = this.ctx.engine.setOf(this.member)
    if (set) this.ctx.engine.journal.sets.add(set.id)
  }

  /** serverStatus().repl.rbid. */
  rbid(): number {
    this.require('serverStatus')
    return this.member.rbid
  }

  /** The "Rollback summary" entries getLog('global') still holds (its RAM log starts empty at each start). */
  rollbackSummaries(): RollbackEvent[] {
    this.require('getLog')
    return rollbacksOf(this.ctx, this.member).filter((event) => event.at >= this.member.upSince)
  }
}

/** SCRAM-SHA-256 keeps PBKDF2 of the password (15000 iterations); so do the simulated members. */
export function hashPassword(user: string, password: string, salt: string, iterations = 15_000): UserRecord {
  return {user, db: 'admin', roles: ['root'], salt, iterations, hash: pbkdf2Sync(password, salt, iterations, 32, 'sha256').toString('base64')}
}

export function passwordMatches(record: UserRecord, password: string): boolean {
  const expected = Buffer.from(record.hash, 'base64')
  const actual = pbkdf2Sync(password, record.salt, record.iterations, 32, 'sha256')
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

export const isServerError = (error: unknown): error is ServerError => error instanceof ServerError
