import {describe, expect, test} from 'vitest'

import {formatMicroTime, leaseDecision, leaseSpecAfter, type LeaseSpec} from '../../../src/locks/lease-rules.js'

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0)
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString()
const me = {holder: 'alice@laptop'}
const held = (overrides: Partial<LeaseSpec> = {}): LeaseSpec => ({
  holderIdentity: 'ci@runner-7',
  acquireTime: ago(300),
  renewTime: ago(20),
  leaseDurationSeconds: 60,
  leaseTransitions: 3,
  ...overrides,
})

describe('leaseDecision', () => {
  test.each([
    ['no lease', undefined, {kind: 'acquire'}],
    ['a released lease', held({holderIdentity: ''}), {kind: 'acquire'}],
    ['a lease without holder', held({holderIdentity: undefined}), {kind: 'acquire'}],
    ['our own lease', held({holderIdentity: 'alice@laptop'}), {kind: 'renew'}],
    ['a live lease of someone else', held(), {kind: 'refuse', holder: 'ci@runner-7', ageMs: 300_000, expiresInMs: 40_000}],
    ['a lease renewed exactly at its expiry', held({renewTime: ago(60)}), {kind: 'refuse', holder: 'ci@runner-7', ageMs: 300_000, expiresInMs: 0}],
    ['an expired lease', held({renewTime: ago(61)}), {kind: 'takeOver', previousHolder: 'ci@runner-7', expiredForMs: 1000}],
    ['never renewed, acquired long ago', held({renewTime: undefined}), {kind: 'takeOver', previousHolder: 'ci@runner-7', expiredForMs: 240_000}],
    ['no times at all', held({renewTime: undefined, acquireTime: undefined}), {kind: 'takeOver', previousHolder: 'ci@runner-7', expiredForMs: 0}],
    ['no duration', held({leaseDurationSeconds: undefined}), {kind: 'takeOver', previousHolder: 'ci@runner-7', expiredForMs: 0}],
  ])('%s', (_name, lease, decision) => {
    expect(leaseDecision(lease, me, NOW)).toEqual(decision)
  })
})

describe('leaseSpecAfter', () => {
  test('acquire a new lease', () => {
    expect(leaseSpecAfter({kind: 'acquire'}, undefined, me, NOW, 60)).toEqual({
      holderIdentity: 'alice@laptop',
      acquireTime: '2026-11-23T12:00:00.000000Z',
      renewTime: '2026-11-23T12:00:00.000000Z',
      leaseDurationSeconds: 60,
      leaseTransitions: 0,
    })
  })

  test('take over counts a transition and restarts the holding', () => {
    expect(leaseSpecAfter({kind: 'takeOver', previousHolder: 'ci@runner-7', expiredForMs: 1}, held(), me, NOW, 60)).toEqual({
      holderIdentity: 'alice@laptop',
      acquireTime: '2026-11-23T12:00:00.000000Z',
      renewTime: '2026-11-23T12:00:00.000000Z',
      leaseDurationSeconds: 60,
      leaseTransitions: 4,
    })
  })

  test('renew moves only renewTime', () => {
    const mine = held({holderIdentity: 'alice@laptop'})
    expect(leaseSpecAfter({kind: 'renew'}, mine, me, NOW, 60)).toEqual({...mine, renewTime: '2026-11-23T12:00:00.000000Z'})
  })
})

test('formatMicroTime has six fractional digits', () => {
  expect(formatMicroTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z')
})
