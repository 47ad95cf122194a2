import {describe, expect, test} from 'vitest'

import {memberConfig, type ReplSetConfig, defaultSettings} from '../../../../src/local-cluster/data-plane/config.js'
import {electionOffsetMs, freshEnoughForTakeover, priorityRank, priorityTakeoverDelayMs, tallyVotes, voteFor, type VoterView} from '../../../../src/local-cluster/data-plane/election.js'
import {replSetReconfig} from '../../../../src/local-cluster/data-plane/commands.js'
import {lastAppliedOf} from '../../../../src/local-cluster/data-plane/state.js'
import {host, threeMemberSet, world} from './world.js'

const config = (priorities: number[], votes: number[] = priorities.map(() => 1)): ReplSetConfig => ({
  _id: 'rs',
  version: 1,
  term: 1,
  protocolVersion: 1,
  writeConcernMajorityJournalDefault: true,
  members: priorities.map((priority, i) => memberConfig(i, {host: `m${i}:27017`, priority, votes: votes[i]})),
  settings: defaultSettings('000000000000000000000001'),
})

const opTime = (t: number, secs: number, ord = 1) => ({ts: {t: secs, i: ord}, t})

describe('voting rules (Replication Architecture Guide, "Voter Perspective")', () => {
  const cfg = config([1, 1, 1])
  const voter = (lastApplied = opTime(2, 100), lastVoteTerm = 1, arbiter = false, healthyPrimaryPriority?: number): VoterView => ({
    member: arbiter ? memberConfig(1, {host: 'm1:27017', arbiterOnly: true}) : cfg.members[1],
    lastApplied,
    lastVoteTerm,
    healthyPrimaryPriority,
  })
  const candidate = (lastApplied = opTime(2, 100), priority = 1) => ({member: {...cfg.members[0], priority}, lastApplied})

  test.each([
    ['candidate as fresh as the voter', voter(), candidate(), 3, false, true],
    ['candidate fresher (later timestamp)', voter(opTime(2, 100)), candidate(opTime(2, 101)), 3, false, true],
    ['candidate in a later term beats a later timestamp', voter(opTime(1, 500)), candidate(opTime(2, 100)), 3, false, true],
    ['candidate staler than the voter', voter(opTime(2, 101)), candidate(opTime(2, 100)), 3, false, false],
    ['candidate with an older term', voter(opTime(3, 1)), candidate(opTime(2, 999)), 4, false, false],
    ['already voted in this term', voter(undefined, 3), candidate(), 3, false, false],
    ['already voted: a dry run still says yes', voter(undefined, 3), candidate(), 3, true, true],
    ['arbiter seeing a primary of equal priority', voter(undefined, 1, true, 1), candidate(), 3, false, false],
    ['arbiter seeing a primary of lower priority', voter(undefined, 1, true, 0.5), candidate(), 3, false, true],
  ])('%s', (_name, v, c, term, dryRun, granted) => {
    expect(voteFor(v, c, term, dryRun).granted).toBe(granted)
  })

  test('a non-voting member never grants a vote', () => {
    const nonVoter = {member: memberConfig(2, {host: 'm2:27017', votes: 0, priority: 0}), lastApplied: opTime(1, 1), lastVoteTerm: -1}
    expect(voteFor(nonVoter, candidate(), 2, false)).toEqual({granted: false, reason: 'not a voting member'})
  })

  test.each([
    // [voters in config, granting others, votes counted incl. self, needed]
    [3, 1, 2, 2],
    [3, 0, 1, 2],
    [5, 2, 3, 3],
    [5, 1, 2, 3],
    [2, 0, 1, 2],
    [7, 3, 4, 4],
  ])('%d voters, %d others grant: %d votes of %d needed', (size, granting, votes, needed) => {
    const c = config(Array.from({length: size}, () => 1))
    const voters: VoterView[] = c.members.slice(1).map((member, i) => ({member, lastApplied: i < granting ? opTime(1, 1) : opTime(1, 2), lastVoteTerm: 0}))
    const tally = tallyVotes(c, {member: c.members[0], lastApplied: opTime(1, 1)}, voters, 1, false)
    expect({votes: tally.votes, needed: tally.needed}).toEqual({votes, needed})
  })

  test('a majority counts voting members only, up or down', () => {
    const c = config([1, 1, 0, 0, 0], [1, 1, 0, 0, 0])
    expect(tallyVotes(c, {member: c.members[0], lastApplied: opTime(1, 1)}, [], 1, false).needed).toBe(2)
  })
})

describe('priority takeover timing (README "Heartbeats")', () => {
  test.each([
    // priorities, member index, rank, delay with a 10 s election time-out
    [[1, 2, 3], 2, 0, 10_000],
    [[1, 2, 3], 1, 1, 20_000],
    [[1, 2, 3], 0, 2, 30_000],
    [[5, 5, 1], 0, 0, 10_000],
  ])('priorities %j: member %d has rank %d and waits %d ms', (priorities, index, rank, delay) => {
    const c = config(priorities)
    expect(priorityRank(c, c.members[index])).toBe(rank)
    expect(priorityTakeoverDelayMs(c, c.members[index], 10_000)).toBe(delay)
  })

  test.each([
    [opTime(2, 100), 100_000, opTime(2, 101), 101_500, true],
    [opTime(2, 100), 100_000, opTime(2, 103), 102_001, false],
    [opTime(1, 100), 100_000, opTime(2, 100), 100_000, false],
  ])('freshness: candidate %j at %d vs primary %j at %d -> %s', (candidate, candidateWall, primary, primaryWall, fresh) => {
    expect(freshEnoughForTakeover(candidate, candidateWall, primary, primaryWall, 2000)).toBe(fresh)
  })

  test('the election offset stays within 15% of the time-out', () => {
    for (let seed = 0; seed < 5000; seed += 37) {
      const offset = electionOffsetMs(seed, 10_000, 0.15)
      expect(offset).toBeGreaterThanOrEqual(0)
      expect(offset).toBeLessThan(1500)
    }
  })
})

describe('elections in the simulated replica set', () => {
  test('a multi-member set elects a primary after electionTimeoutMillis (10 s), not before', () => {
    const w = world()
    for (const name of ['a', 'b', 'c']) w.add(name)
    w.initiate(['a', 'b', 'c'])
    w.advance(9_900)
    expect(w.primary()).toBeUndefined()
    const waited = w.until(() => w.primary() !== undefined, 3000)
    expect(9_900 + waited).toBeGreaterThanOrEqual(10_000)
    expect(9_900 + waited).toBeLessThanOrEqual(11_600)
    expect(Object.values(w.states()).filter((s) => s === 'PRIMARY')).toHaveLength(1)
    expect(w.set().term).toBe(1)
  })

  test.each([
    [{electionTimeoutMillis: 1000}, 1, 1000],
    [{}, 0.1, 1000],
  ])('a faster election: settings %j, time scale %d -> about %d ms', (settings, timeScale, expected) => {
    const w = world({timeScale})
    for (const name of ['a', 'b', 'c']) w.add(name)
    w.initiate(['a', 'b', 'c'], [], settings as Record<string, number>)
    const waited = w.until(() => w.primary() !== undefined, 5000, 10)
    expect(waited).toBeGreaterThanOrEqual(expected)
    expect(waited).toBeLessThanOrEqual(expected * 1.2)
  })

  test('a member whose data is gone (a new claim behind its host) initial-syncs back into the set', () => {
    const w = threeMemberSet({writesPerSecond: 20})
    w.advance(5_000)
    const secondary = ['a', 'b', 'c'].find((n) => n !== w.primary()) as string
    const set = w.set()
    w.down(secondary)
    // The claim was deleted: the host now names a fresh, empty member.
    w.engine.dropMember(secondary)
    w.add(secondary)
    expect(w.member(secondary).setId).toBeUndefined()
    w.advance(4_000)
    expect(w.member(secondary).setId).toBe(set.id)
    expect(w.states()[secondary]).toBe('SECONDARY')
    expect(w.logs.some((l) => l.member === secondary && l.line.msg === 'Initial sync done')).toBe(true)
    expect(w.member(secondary).applied).toBeGreaterThan(set.oplog.end - 20)
  })

  test('a single-member set elects itself at once', () => {
    const w = world()
    w.add('a')
    w.initiate(['a'])
    w.advance(100)
    expect(w.primary()).toBe('a')
  })

  test('a lost primary is replaced after the election time-out; the new term is higher', () => {
    const w = threeMemberSet({writesPerSecond: 20})
    const old = w.primary() as string
    const term = w.set().term
    w.advance(2000)
    w.down(old)
    w.advance(9_000)
    expect(w.primary()).toBeUndefined()
    w.until(() => w.primary() !== undefined, 3000)
    expect(w.primary()).not.toBe(old)
    expect(w.set().term).toBe(term + 1)
  })

  test('majority lost with the primary: no primary, ever', () => {
    const w = threeMemberSet()
    const [survivor] = ['a', 'b', 'c'].filter((n) => n !== w.primary())
    for (const name of ['a', 'b', 'c']) if (name !== survivor) w.down(name)
    w.advance(60_000)
    expect(w.primary()).toBeUndefined()
    expect(w.states()[survivor]).toBe('SECONDARY')
    expect(w.logs.some((l) => l.member === survivor && l.line.msg === 'Not running for primary, we received insufficient votes')).toBe(true)
  })

  test('a primary that cannot see a majority steps down after the election time-out', () => {
    const w = threeMemberSet()
    const primary = w.primary() as string
    for (const name of ['a', 'b', 'c']) if (name !== primary) w.down(name)
    w.advance(9_500)
    expect(w.primary()).toBe(primary)
    w.advance(1_000)
    expect(w.primary()).toBeUndefined()
    expect(w.states()[primary]).toBe('SECONDARY')
    w.advance(60_000)
    expect(w.primary()).toBeUndefined()
  })

  test('a voter refuses a candidate whose oplog is behind its own: the fresher member wins', () => {
    const w = threeMemberSet({writesPerSecond: 20})
    const primary = w.primary() as string
    const [fresh, stale] = ['a', 'b', 'c'].filter((n) => n !== primary)
    w.member(stale).faultLagMs = 60_000
    w.advance(5_000)
    w.down(primary)
    // Make the stale member's election timer fire first.
    w.member(stale).electionDeadline = w.now + 9_000
    w.member(fresh).electionDeadline = w.now + 9_500
    w.until(() => w.primary() !== undefined, 15_000)
    expect(w.primary()).toBe(fresh)
    expect(w.logs.some((l) => l.member === stale && l.line.msg === 'Not running for primary, we received insufficient votes')).toBe(true)
  })

  /** a and b elect a primary; c (priority 5) is added by a reconfig and comes up through initial sync. */
  const addHighPriorityMember = (lagMs: number) => {
    const w = world()
    for (const name of ['a', 'b', 'c']) w.add(name)
    const set = w.initiate(['a', 'b'])
    set.writesPerSecond = 5
    w.until(() => w.primary() !== undefined, 15_000)
    w.member('c').faultLagMs = lagMs
    const conf = set.config
    replSetReconfig(w.ctx(), w.member(w.primary() as string), {...conf, version: conf.version + 1, members: [...conf.members, {_id: 2, host: host('c'), priority: 5}]}, false)
    return w
  }

  test('priority takeover: a caught-up higher-priority member becomes primary after (rank+1) x timeout', () => {
    const w = addHighPriorityMember(0)
    const old = w.primary()
    w.advance(1_500)
    expect(w.states().c).toBe('SECONDARY')
    const waited = w.until(() => w.primary() === 'c', 15_000)
    expect(waited).toBeGreaterThanOrEqual(8_000)
    expect(w.states()[old as string]).toBe('SECONDARY')
    expect(w.logs.some((l) => l.member === 'c' && l.line.msg === 'Starting an election for a priority takeover')).toBe(true)
  })

  test('no priority takeover by a member that lags more than 2 s behind the primary', () => {
    const w = addHighPriorityMember(120_000)
    w.advance(60_000)
    expect(w.primary()).not.toBe('c')
    expect(w.states().c).toBe('SECONDARY')
  })

  test('writes not replicated to a majority are rolled back when the old primary rejoins, and kept', () => {
    const w = threeMemberSet({writesPerSecond: 50})
    const set = w.set()
    const old = w.primary() as string
    const others = ['a', 'b', 'c'].filter((n) => n !== old)
    for (const name of others) w.member(name).faultLagMs = 3_000
    w.advance(10_000)
    const unreplicated = set.oplog.end - Math.max(...others.map((n) => w.member(n).applied))
    expect(unreplicated).toBeGreaterThan(50)
    w.down(old)
    for (const name of others) w.member(name).faultLagMs = 0
    w.until(() => w.primary() !== undefined, 15_000)
    const newPrimary = w.primary() as string
    w.advance(3_000)
    expect(w.member(old).tail.length).toBe(unreplicated)
    w.up(old)
    w.advance(2_000)
    expect(set.rollbacks).toHaveLength(1)
    const event = set.rollbacks[0]
    expect(event.entries).toBe(unreplicated)
    expect(event.documents.length).toBeGreaterThan(0)
    expect(event.syncSource).toBe(host(newPrimary))
    expect(w.member(old).rbid).toBe(1)
    expect(w.member(old).tail).toEqual([])
    expect(w.states()[old]).toBe('SECONDARY')
    // The old primary converges on the new branch.
    w.advance(3_000)
    expect(lastAppliedOf(w.member(old), set).t).toBe(set.term)
    expect(w.logs.some((l) => l.member === old && l.line.msg === 'Rollback summary')).toBe(true)
  })

  test('replication lag: a member with a 2 m fault applies what the primary wrote 2 m ago', () => {
    const w = threeMemberSet({writesPerSecond: 10})
    const set = w.set()
    const lagging = ['a', 'b', 'c'].find((n) => n !== w.primary()) as string
    w.member(lagging).faultLagMs = 120_000
    w.advance(200_000, 500)
    const primaryWall = set.oplog.wallAt(set.oplog.end - 1)
    const laggingWall = set.oplog.wallAt(w.member(lagging).applied - 1)
    expect((primaryWall - laggingWall) / 1000).toBeGreaterThan(119)
    expect((primaryWall - laggingWall) / 1000).toBeLessThan(121)
  })
})
