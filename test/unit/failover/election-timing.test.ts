import {describe, expect, test} from 'vitest'

import {electionWaitMs, priorityRank, takeoverNeedsPrimaryVote, takeoverWaitMs} from '../../../src/failover/election-timing.js'

describe('takeoverWaitMs: (rank + 1) x electionTimeoutMillis x 1.15 + one heartbeat', () => {
  test.each([
    ['MongoDB defaults, rank 0', {electionTimeoutMillis: 10_000, heartbeatIntervalMillis: 2000}, 0, 13_500],
    ['no settings reported: the defaults', undefined, 0, 13_500],
    ['a fast test set', {electionTimeoutMillis: 1000, heartbeatIntervalMillis: 200}, 0, 1350],
    ['rank 1 waits one time-out more', {electionTimeoutMillis: 10_000, heartbeatIntervalMillis: 2000}, 1, 25_000],
    ['nonsense values fall back to the defaults', {electionTimeoutMillis: 0, heartbeatIntervalMillis: -5}, 0, 13_500],
    ['a negative rank counts as the first', {electionTimeoutMillis: 1000, heartbeatIntervalMillis: 200}, -1, 1350],
  ])('%s', (_name, settings, rank, expected) => {
    expect(takeoverWaitMs(settings, rank)).toBe(expected)
  })

  test('an election without a primary gets two rounds', () => {
    expect(electionWaitMs(undefined)).toBe(27_000)
    expect(electionWaitMs({electionTimeoutMillis: 1000, heartbeatIntervalMillis: 200})).toBe(2700)
  })
})

describe('priorityRank', () => {
  const members = [
    {host: 'a-0:27017', priority: 2},
    {host: 'a-1:27017', priority: 2},
    {host: 'b-0:27017', priority: 1},
    {host: 'b-1:27017', priority: 0},
  ]
  test.each([
    ['a-0:27017', 0],
    ['A-1:27017', 0],
    ['b-0:27017', 2],
    ['b-1:27017', 3],
  ])('%s has rank %i', (host, rank) => {
    expect(priorityRank(members, host)).toBe(rank)
  })
})

describe('takeoverNeedsPrimaryVote: the other voters are fewer than a majority', () => {
  const m = (host: string, votes = 1) => ({host, votes})
  test.each([
    ['dev transitional: a-0 (primary) and b-0 vote', [m('a-0'), m('b-0')], true],
    ['staging transitional: four voters, three besides the primary', [m('a-0'), m('a-1'), m('b-0'), m('b-1')], false],
    ['three voters: two besides the primary make the majority', [m('a-0'), m('b-0'), m('b-1')], false],
    ['non-voters do not count', [m('a-0'), m('b-0'), m('b-1', 0), m('b-2', 0)], true],
    ['a single voter: only the primary', [m('a-0'), m('b-0', 0)], true],
  ])('%s', (_name, members, expected) => {
    expect(takeoverNeedsPrimaryVote(members, 'A-0')).toBe(expected)
  })
})
