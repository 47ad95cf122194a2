import {describe, expect, test} from 'vitest'

import {
  type CheckResult,
  type MemberStatus,
  applyOverrides,
  bestCandidate,
  blockingChecks,
  judgeBackupAge,
  judgeDatabases,
  judgeTargetCluster,
  judgeVersions,
} from '../../../src/failover/checks.js'

const member = (host: string, overrides: Partial<MemberStatus> = {}): MemberStatus => ({host, state: 'SECONDARY', health: 1, priority: 1, votes: 1, lagSeconds: 0.25, ...overrides})
const inB = (host: string) => host.includes('-b-')

describe('bestCandidate', () => {
  test.each([
    ['the least lagging target member', [member('db-b-0', {lagSeconds: 3}), member('db-b-1', {lagSeconds: 0.25})], 'db-b-1'],
    ['members of the other region never count', [member('db-a-0', {state: 'PRIMARY', lagSeconds: 0})], undefined],
    ['a DOWN member is not a candidate', [member('db-b-0', {state: 'DOWN', health: 0})], undefined],
    ['an arbiter holds no data', [member('db-b-0', {arbiterOnly: true})], undefined],
    ['a hidden member is never elected', [member('db-b-0', {hidden: true, priority: 0})], undefined],
    ['a non-voter counts: the switchover gives it a vote (dev standby layout)', [member('db-b-0', {votes: 0, priority: 0})], 'db-b-0'],
    ['a priority-0 voter counts: the switchover raises its priority', [member('db-b-0', {priority: 0})], 'db-b-0'],
    ['RECOVERING is not electable', [member('db-b-0', {state: 'RECOVERING'})], undefined],
  ])('%s', (_, members, expected) => {
    expect(bestCandidate(members, inB)?.host).toBe(expected)
  })
})

describe('judgeDatabases', () => {
  const minute = 60_000
  test('passes when every database has a target member within its RPO, naming the worst lag', () => {
    const result = judgeDatabases(
      [
        {database: 'billing-db', rpoMs: minute, primary: 'billing-db-a-0', members: [member('billing-db-a-0', {state: 'PRIMARY', lagSeconds: 0}), member('billing-db-b-0', {lagSeconds: 2})]},
        {database: 'auth-db', rpoMs: minute, primary: 'auth-db-a-0', members: [member('auth-db-b-0', {lagSeconds: 0.5})]},
      ],
      'b',
      inB,
    )
    expect(result).toEqual({check: 'database-lag', verdict: 'pass', measured: '2 databases within RPO (worst lag 2s)'})
  })

  test('the 2 m lag fault on billing-db (RPO 1 m) fails and names it with the measured lag', () => {
    const result = judgeDatabases([{database: 'billing-db', rpoMs: minute, primary: null, members: [member('billing-db-b-0', {lagSeconds: 120})]}], 'b', inB)
    expect(result.verdict).toBe('fail')
    expect(result.measured).toBe('billing-db: lag 2m > RPO 1m (billing-db-b-0)')
  })

  test.each([
    [{database: 'x-db', rpoMs: minute, error: 'Job failed'}, 'x-db: status unreadable (Job failed)'],
    [{database: 'x-db', rpoMs: minute, primary: null, members: [member('x-db-a-0')]}, 'x-db: no member in b'],
    [{database: 'x-db', rpoMs: minute, primary: null, members: [member('x-db-b-0', {state: 'STARTUP2'})]}, 'x-db: no electable member in b (x-db-b-0 STARTUP2)'],
  ])('fails with the reason: %s', (observation, measured) => {
    expect(judgeDatabases([observation], 'b', inB)).toEqual({check: 'database-lag', verdict: 'fail', measured})
  })

  test('lag exactly at the RPO passes', () => {
    expect(judgeDatabases([{database: 'x', rpoMs: minute, primary: null, members: [member('x-b-0', {lagSeconds: 60})]}], 'b', inB).verdict).toBe('pass')
  })
})

describe('judgeVersions', () => {
  test.each([
    [{billing: '2.0.0'}, {billing: '2.0.0'}, 'pass', '1 workloads at the live versions'],
    [{billing: '2.0.0', auth: '1.0.0'}, {billing: '2.0.0'}, 'pass', '1 workloads at the live versions, 1 to deploy'],
    [{billing: '2.0.0', auth: '1.0.0'}, {billing: '1.9.0', auth: '0.9.0'}, 'fail', 'stale in target: auth 0.9.0 (live 1.0.0), billing 1.9.0 (live 2.0.0)'],
  ])('recorded %o running %o -> %s', (recorded, running, verdict, measured) => {
    expect(judgeVersions(recorded, running)).toEqual({check: 'versions', verdict, measured})
  })
})

describe('judgeBackupAge is a warning, never a failure', () => {
  test.each([
    ['no catalog' as const, 'skipped'],
    ['none' as const, 'warn'],
    [{ageMs: 30_000, rpoMs: 60_000}, 'pass'],
    [{ageMs: 3_600_000, rpoMs: 60_000}, 'warn'],
  ])('%o -> %s', (input, verdict) => {
    expect(judgeBackupAge(input).verdict).toBe(verdict)
  })
})

describe('gates', () => {
  const results: CheckResult[] = [
    {check: 'target-cluster', verdict: 'pass', measured: ''},
    {check: 'database-lag', verdict: 'fail', measured: 'billing-db: lag 2m > RPO 1m'},
    {check: 'dns', verdict: 'fail', measured: 'no answer'},
    {check: 'backup-age', verdict: 'warn', measured: ''},
  ]
  test('a planned switchover is blocked by every failing check', () => {
    expect(blockingChecks(results, 'planned').map((r) => r.check)).toEqual(['database-lag', 'dns'])
  })
  test('an override lifts exactly the named check and is marked', () => {
    const overridden = applyOverrides(results, ['database-lag', 'backup-age'])
    expect(blockingChecks(overridden, 'planned').map((r) => r.check)).toEqual(['dns'])
    expect(overridden.find((r) => r.check === 'database-lag')?.overridden).toBe(true)
    expect(overridden.find((r) => r.check === 'backup-age')?.overridden).toBeUndefined()
  })
  test('a forced failover is blocked only by an unreachable target', () => {
    expect(blockingChecks(results, 'forced')).toEqual([])
    const down = judgeTargetCluster('b', {reachable: false, error: 'connect ECONNREFUSED', elapsedMs: 2000})
    expect(down).toEqual({check: 'target-cluster', verdict: 'fail', measured: 'b did not answer within 2s: connect ECONNREFUSED'})
    expect(blockingChecks([down], 'forced')).toEqual([down])
  })
})
