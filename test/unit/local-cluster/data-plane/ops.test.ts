import {bsonOf} from '../../../../src/local-cluster/data-plane/stored-document.js'
import {describe, expect, test} from 'vitest'

import {hashCollections} from '../../../../src/formats/content-hash/content-hash.js'

import {replSetReconfig} from '../../../../src/local-cluster/data-plane/commands.js'
import {OPS, type OpContext, type OpName} from '../../../../src/local-cluster/data-plane/jobs/ops.js'
import {Session} from '../../../../src/local-cluster/data-plane/jobs/session.js'
import {host, threeMemberSet, world, type World} from './world.js'

/** Runs an op as its Job would: connected to `target`, authenticated as root unless told otherwise. */
function run(w: World, op: OpName, target: string, params: Record<string, unknown>, credentials: OpContext['credentials'] | null = {user: 'root', password: 'pw'}) {
  const session = new Session(w.ctx(), w.member(target))
  return OPS[op]({
    session,
    params,
    ...(credentials ? {credentials} : {}),
    connect: (to) => {
      const other = new Session(w.ctx(), w.member(to.split(':')[0]))
      if (credentials) other.auth(credentials.user, credentials.password)
      return other
    },
  })
}

const members = (names: string[]) => names.map((n) => ({host: host(n)}))

describe('initiate', () => {
  test('initiates once; a re-run (after a kill) changes nothing', () => {
    const w = world()
    for (const name of ['a', 'b', 'c']) w.add(name)
    const first = run(w, 'initiate', 'a', {set: 'rs', members: members(['a', 'b', 'c'])})
    expect(first.result).toMatchObject({op: 'initiate', ok: true, changed: true, set: 'rs', configVersion: 1})
    expect(first.verdict).toBe('initiate: initiated rs with 3 members')
    const again = run(w, 'initiate', 'a', {set: 'rs', members: members(['a', 'b', 'c'])})
    expect(again.result).toMatchObject({changed: false})
    expect(again.verdict).toBe('initiate: no change (rs is already initiated)')
    expect(w.engine.sets.size).toBe(1)
  })

  test.each([
    ['a set name other than --replSet', {set: 'other', members: members(['a'])}, /name other, but command line reports rs/],
    ['a member that does not answer', {set: 'rs', members: members(['a', 'zz'])}, /quorum check failed.*zz:27017/],
    ['a config that does not include the member', {set: 'rs', members: members(['b'])}, /maps to this node/],
    ['two voters with priority 0 only', {set: 'rs', members: [{host: host('a'), priority: 0}]}, /at least one non-arbiter member with priority > 0/],
    ['missing members', {set: 'rs'}, /needs "set" and a non-empty "members" list/],
  ])('refuses %s', (_name, params, message) => {
    const w = world()
    for (const name of ['a', 'b']) w.add(name)
    expect(() => run(w, 'initiate', 'a', params)).toThrow(message)
  })

  test('credentials: a wrong password fails as mongosh would; none at all is unauthorized', () => {
    const w = world()
    w.add('a')
    expect(() => run(w, 'initiate', 'a', {set: 'rs', members: members(['a'])}, {user: 'root', password: 'nope'})).toThrow('Authentication failed.')
    expect(() => run(w, 'initiate', 'a', {set: 'rs', members: members(['a'])}, null)).toThrow('command replSetGetStatus requires authentication')
  })
})

describe('hashes', () => {
  test('counts and hashes every collection as the catalog does: the same documents in any order give the same hash', () => {
    const w = threeMemberSet({writesPerSecond: 20})
    w.advance(5_000)
    const outcome = run(w, 'hashes', w.primary() as string, {database: 'rs'})
    expect(outcome.exitCode).toBe(0)
    const data = w.set().data
    const docs = (name: string) => [...data.entries(name)].map(([, stored]) => bsonOf(stored))
    const expected = hashCollections(data.names().map((name) => ({ns: `rs.${name}`, documents: docs(name).reverse()})))
    const collections = outcome.result.collections as Array<{name: string; count: number; hash: string}>
    expect(collections.length).toBeGreaterThan(0)
    expect(Object.fromEntries(collections.map((c) => [`rs.${c.name}`, {documents: c.count, sha256Sum: c.hash}]))).toEqual(expected)
    expect(collections.reduce((sum, c) => sum + c.count, 0)).toBe(data.totalDocuments())
    expect(outcome.verdict).toBe(`hashes: ${collections.length} collections, ${data.totalDocuments()} documents in rs`)
  })

  test('another database has no collections; a missing database parameter and missing credentials are refused', () => {
    const w = threeMemberSet({writesPerSecond: 20})
    w.advance(2_000)
    expect(run(w, 'hashes', w.primary() as string, {database: 'other'}).result).toMatchObject({ok: true, collections: []})
    expect(() => run(w, 'hashes', w.primary() as string, {})).toThrow(/needs "database"/)
    expect(() => run(w, 'hashes', w.primary() as string, {database: 'rs'}, null)).toThrow('command find requires authentication')
  })
})

describe('status', () => {
  test('healthy set: members, primary, counts of the connected member', () => {
    const w = threeMemberSet({writesPerSecond: 20})
    w.advance(5_000)
    const outcome = run(w, 'status', w.primary() as string, {database: 'rs'})
    expect(outcome.exitCode).toBe(0)
    expect(outcome.result).toMatchObject({op: 'status', ok: true, initiated: true, verdict: 'healthy', problems: [], set: 'rs', primary: host(w.primary() as string), majority: {votingMembers: 3, needed: 2, healthyVoters: 3}})
    // The config's election timings (MongoDB's defaults here): a failover derives its waits from them.
    expect(outcome.result.settings).toEqual({electionTimeoutMillis: 10_000, heartbeatIntervalMillis: 2000})
    const counted = (outcome.result.collections as Array<{count: number}>).reduce((sum, c) => sum + c.count, 0)
    expect(counted).toBe(w.set().data.totalDocuments())
    expect(counted).toBeGreaterThan(50)
  })

  test('a lag fault shows as degraded with the member and its lag', () => {
    const w = threeMemberSet({writesPerSecond: 10})
    const lagging = ['a', 'b', 'c'].find((n) => n !== w.primary()) as string
    w.member(lagging).faultLagMs = 120_000
    w.advance(150_000, 500)
    const outcome = run(w, 'status', w.primary() as string, {})
    expect(outcome.result.verdict).toBe('degraded')
    const member = (outcome.result.members as Array<{host: string; lagSeconds: number}>).find((m) => m.host === host(lagging))
    expect(member?.lagSeconds).toBeGreaterThanOrEqual(119)
    expect(outcome.result.problems).toEqual([expect.stringMatching(new RegExp(`^${host(lagging)}: lag 1[12]\\ds > 10s$`))])
  })

  test('majority lost: no-primary, the down members listed', () => {
    const w = threeMemberSet()
    const [survivor, ...gone] = ['a', 'b', 'c'].sort((x, y) => (x === w.primary() ? 1 : 0) - (y === w.primary() ? 1 : 0))
    for (const name of gone) w.down(name)
    w.advance(15_000)
    const outcome = run(w, 'status', survivor, {})
    expect(outcome.result).toMatchObject({verdict: 'no-primary', primary: null})
    expect(outcome.result.problems).toEqual(['no PRIMARY', ...gone.map((n) => `${host(n)}: DOWN`).sort((a, b) => a.localeCompare(b))])
  })

  test('not initiated yet', () => {
    const w = world()
    w.add('a')
    expect(run(w, 'status', 'a', {}).result).toMatchObject({initiated: false, verdict: 'not-initiated'})
  })
})

describe('step-down', () => {
  test('steps down the expected primary; a re-run never steps down the new one', () => {
    const w = threeMemberSet({writesPerSecond: 10})
    w.advance(3_000)
    const old = w.primary() as string
    const first = run(w, 'step-down', old, {expectedPrimary: host(old)})
    expect(first.result).toMatchObject({changed: true, primaryBefore: host(old)})
    const next = w.primary() as string
    expect(next).toBeDefined()
    expect(next).not.toBe(old)
    expect(first.result.primaryAfter).toBe(host(next))
    const again = run(w, 'step-down', next, {expectedPrimary: host(old)})
    expect(again.result).toMatchObject({changed: false, reason: `primary is ${host(next)}, not ${host(old)}`})
    expect(w.primary()).toBe(next)
    // stepDownSecs (60 s): the old primary does not stand again meanwhile.
    w.down(next)
    w.advance(30_000)
    expect(w.primary()).not.toBe(old)
  })

  test('refuses when no electable secondary can catch up within secondaryCatchUpPeriodSecs', () => {
    const w = threeMemberSet({writesPerSecond: 10})
    const primary = w.primary() as string
    for (const name of ['a', 'b', 'c']) if (name !== primary) w.member(name).faultLagMs = 120_000
    w.advance(30_000)
    expect(() => run(w, 'step-down', primary, {expectedPrimary: host(primary)})).toThrow(/No electable secondaries caught up as of/)
    expect(w.primary()).toBe(primary)
  })
})

describe('reconfigure', () => {
  test('adds two voters one reconfig at a time; a re-run finds nothing to do', () => {
    const w = threeMemberSet()
    w.add('d')
    w.add('e')
    const primary = w.primary() as string
    const outcome = run(w, 'reconfigure', primary, {members: members(['a', 'b', 'c', 'd', 'e'])})
    expect(outcome.result).toMatchObject({changed: true, configVersion: 3})
    expect(outcome.result.steps).toEqual([
      {version: 2, changes: [`add voter ${host('d')}`]},
      {version: 3, changes: [`add voter ${host('e')}`]},
    ])
    expect(run(w, 'reconfigure', primary, {members: members(['a', 'b', 'c', 'd', 'e'])}).result).toMatchObject({changed: false})
  })

  test('the server refuses a non-forced reconfig that changes two voters', () => {
    const w = threeMemberSet()
    w.add('d')
    w.add('e')
    const conf = w.set().config
    expect(() =>
      replSetReconfig(w.ctx(), w.member(w.primary() as string), {...conf, version: conf.version + 1, members: [...conf.members, {_id: 3, host: host('d')}, {_id: 4, host: host('e')}]}, false),
    ).toThrow('Non force replica set reconfig can only add or remove at most 1 voting member.')
  })

  test('runs on the primary only', () => {
    const w = threeMemberSet()
    const secondary = ['a', 'b', 'c'].find((n) => n !== w.primary()) as string
    expect(() => run(w, 'reconfigure', secondary, {members: members(['a', 'b'])})).toThrow(/which is not the primary/)
  })
})

describe('force-reconfigure', () => {
  test('after the majority is lost: forces the survivor, which is elected; a re-run changes nothing', () => {
    const w = threeMemberSet({writesPerSecond: 5})
    const primary = w.primary() as string
    const survivor = ['a', 'b', 'c'].find((n) => n !== primary) as string
    for (const name of ['a', 'b', 'c']) if (name !== survivor) w.down(name)
    w.advance(20_000)
    expect(w.primary()).toBeUndefined()
    const first = run(w, 'force-reconfigure', survivor, {members: [{host: host(survivor)}]})
    expect(first.result).toMatchObject({changed: true, members: [{host: host(survivor), priority: 1, votes: 1}]})
    expect(first.result.removed).toHaveLength(2)
    expect(first.result.configVersion as number).toBeGreaterThan(10_000)
    w.until(() => w.primary() === survivor, 15_000)
    const again = run(w, 'force-reconfigure', survivor, {members: [{host: host(survivor)}]})
    expect(again.result).toMatchObject({changed: false})
    // The removed members come back REMOVED, not as a second primary.
    for (const name of ['a', 'b', 'c']) if (name !== survivor) w.up(name)
    w.advance(15_000)
    expect(w.primary()).toBe(survivor)
    for (const name of ['a', 'b', 'c']) if (name !== survivor) expect(w.states()[name]).toBe('REMOVED')
  })

  test('refuses while a member is primary', () => {
    const w = threeMemberSet()
    const secondary = ['a', 'b', 'c'].find((n) => n !== w.primary()) as string
    expect(() => run(w, 'force-reconfigure', secondary, {members: [{host: host(secondary)}]})).toThrow(/is PRIMARY: a forced reconfiguration is only for a set that has lost its majority/)
  })
})
