import {describe, expect, test} from 'vitest'

import {finalMembers, sameMembers, survivorMembers, topologyWithActive, transitionalMembers} from '../../../src/failover/replica-moves.js'
import {testEnvironment, testService} from '../../helpers/builders.js'

const database = testService({name: 'db', kind: 'mongodb', port: 27017})
const host = (region: string, i: number) => `db-${region}-${i}.mygate-data.svc.clusterset.local:27017`
const layout = (members: Array<{host: string; priority?: number; votes?: number}>) => Object.fromEntries(members.map((m) => [m.host.split('.')[0], `${m.votes}/${m.priority}`]))

describe('the configs a switchover moves a replica set through', () => {
  test('dev (one member per region): the target gets a vote to take over, then the source gives its vote up', () => {
    const spec = testEnvironment({tier: 'dev', regions: {primary: 'a', secondary: 'b'}})
    const from = topologyWithActive(database, spec, 'a')
    const to = topologyWithActive(database, spec, 'b')
    expect(layout(finalMembers(from))).toEqual({'db-a-0': '1/2', 'db-b-0': '0/0'})
    expect(layout(transitionalMembers(from, to))).toEqual({'db-b-0': '1/2', 'db-a-0': '1/1'})
    expect(layout(finalMembers(to))).toEqual({'db-b-0': '1/2', 'db-a-0': '0/0'})
  })

  test('prod (three per region): at most 7 voters in the transition; the target ends with the majority', () => {
    const spec = testEnvironment({tier: 'prod', regions: {primary: 'a', secondary: 'b'}})
    const from = topologyWithActive(database, spec, 'a')
    const to = topologyWithActive(database, spec, 'b')
    const transition = transitionalMembers(from, to)
    expect(transition.filter((m) => m.votes === 1)).toHaveLength(6)
    expect(layout(transition)).toEqual({'db-b-0': '1/2', 'db-b-1': '1/2', 'db-b-2': '1/2', 'db-a-0': '1/1', 'db-a-1': '1/1', 'db-a-2': '1/1'})
    const final = finalMembers(to)
    expect(final.filter((m) => m.votes === 1 && m.host.includes('-b-'))).toHaveLength(3)
    expect(final.filter((m) => m.votes === 1 && m.host.includes('-a-'))).toHaveLength(2)
  })

  test('switching back to the configured primary gives the configured layout', () => {
    const spec = testEnvironment({tier: 'staging', regions: {primary: 'a', secondary: 'b'}})
    expect(topologyWithActive(database, spec, 'a').primaryRegion).toBe('a')
    expect(topologyWithActive(database, spec, 'b').primaryRegion).toBe('b')
  })

  test('a forced config keeps only the survivors', () => {
    const spec = testEnvironment({tier: 'staging', regions: {primary: 'a', secondary: 'b'}})
    expect(survivorMembers(topologyWithActive(database, spec, 'b')).map((m) => m.host)).toEqual([host('b', 0), host('b', 1)])
  })

  test.each([
    [[{host: 'x:1', priority: 2, votes: 1}], [{host: 'X:1', priority: 2, votes: 1}], true],
    [[{host: 'x:1', priority: 1, votes: 1}], [{host: 'x:1', priority: 2, votes: 1}], false],
    [[{host: 'x:1', priority: 2, votes: 1}], [{host: 'x:1', priority: 2, votes: 1}, {host: 'y:1', priority: 0, votes: 0}], false],
  ])('sameMembers(%o, %o) is %s', (actual, desired, same) => {
    expect(sameMembers(actual, desired)).toBe(same)
  })
})
