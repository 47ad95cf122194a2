import {describe, expect, test} from 'vitest'

import {decideOnLoss, forcedFailoverCommand, holdsMajority, type LossInput, servingRegions} from '../../../src/failover/watch/loss-decision.js'

const base: LossInput = {
  environment: 'dr',
  lost: 'west',
  serving: ['west'],
  survivor: 'east',
  databases: [],
  drMode: 'warm-standby',
  lostForMs: 0,
  electionGraceMs: 27_000,
}
const db = (database: string, primaryRegion: string | null, survivorVotes: number, totalVotes: number) => ({database, primaryRegion, survivorVotes, totalVotes})

describe('failover watch: what to do about a lost region', () => {
  test.each([
    {votes: 1, total: 1, majority: true},
    {votes: 1, total: 2, majority: false},
    {votes: 2, total: 3, majority: true},
    {votes: 2, total: 5, majority: false},
    {votes: 3, total: 5, majority: true},
    {votes: 0, total: 0, majority: false},
  ])('$votes of $total votes is a majority: $majority', ({votes, total, majority}) => {
    expect(holdsMajority(votes, total)).toBe(majority)
  })

  test('dev layout, active region lost: the survivors hold no majority, so it alerts with the forced command and never acts', () => {
    const decision = decideOnLoss({...base, databases: [db('billing-db', null, 0, 1), db('auth-db', null, 0, 1)]})
    expect(decision).toMatchObject({action: 'alert', command: 'mygate failover --env dr --forced --confirm dr'})
    expect(decision.why).toContain('billing-db (0 of 1 votes)')
    expect(decision.why).toContain('never forces')
  })

  test('every PRIMARY already elected in the survivor: act there', () => {
    expect(decideOnLoss({...base, databases: [db('billing-db', 'east', 2, 3), db('auth-db', 'east', 2, 3)]})).toMatchObject({action: 'act', survivor: 'east'})
  })

  test('active-active, the secondary lost while the primaries stay in the survivor: act', () => {
    const input = {...base, lost: 'east', survivor: 'west', serving: ['west', 'east'], drMode: 'active-active' as const, databases: [db('billing-db', 'west', 1, 1)]}
    expect(decideOnLoss(input)).toMatchObject({action: 'act', survivor: 'west'})
  })

  test('survivors hold a majority but have not elected yet: wait, then alert after the election deadline', () => {
    const electing = {...base, databases: [db('billing-db', 'east', 2, 3), db('auth-db', null, 2, 3)]}
    expect(decideOnLoss({...electing, lostForMs: 5000})).toMatchObject({action: 'wait'})
    expect(decideOnLoss({...electing, lostForMs: 30_000})).toMatchObject({action: 'alert', command: forcedFailoverCommand('dr')})
  })

  test('a lost region that serves no traffic is alerted, without a failover command', () => {
    const decision = decideOnLoss({...base, lost: 'east', survivor: 'west', serving: ['west']})
    expect(decision.action).toBe('alert')
    expect('command' in decision && decision.command).toBeFalsy()
    expect(decision.why).toContain('no region to fail over to')
  })

  test('no survivor answers: alert, nothing to fail over to', () => {
    const {survivor: _s, ...rest} = base
    expect(decideOnLoss(rest)).toMatchObject({action: 'alert', why: expect.stringContaining('nothing to fail over to')})
  })

  test('the databases could not be read: wait within the grace, then alert (never act blind)', () => {
    const {databases: _d, ...rest} = base
    expect(decideOnLoss({...rest, lostForMs: 1000}).action).toBe('wait')
    expect(decideOnLoss({...rest, lostForMs: 60_000})).toMatchObject({action: 'alert', command: forcedFailoverCommand('dr')})
  })

  test.each([
    {drMode: 'warm-standby' as const, dns: undefined, serving: ['west']},
    {drMode: 'active-active' as const, dns: undefined, serving: ['west', 'east']},
    {drMode: 'active-active' as const, dns: {regions: [{region: 'west', weight: 100, withdrawn: false}, {region: 'east', weight: 0, withdrawn: false}]}, serving: ['west']},
    {drMode: 'active-active' as const, dns: {regions: [{region: 'west', weight: 100, withdrawn: true}, {region: 'east', weight: 100, withdrawn: false}]}, serving: ['east']},
  ])('serving regions ($drMode, dns $dns)', ({drMode, dns, serving}) => {
    expect(servingRegions({activeRegion: 'west', drMode, regions: ['west', 'east'], ...(dns ? {dns} : {})})).toEqual(serving)
  })
})
