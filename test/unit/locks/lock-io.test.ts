import {describe, expect, test} from 'vitest'

import {ConflictError} from '../../../src/errors.js'
import {acquireEnvironmentLock} from '../../../src/locks/environment-lock.js'
import {acquireLease, acquireLock} from '../../../src/locks/lease.js'
import type {LeaseSpec} from '../../../src/locks/lease-rules.js'
import {fakeKube, type FakeKube} from '../../helpers/fake-kube.js'

/** The lock model's I/O (src/locks/lease.ts, environment-lock.ts) over the in-memory API server. */

const base = {environment: 'demo', durationSeconds: 60, takeOverDeadLocalHolder: false}
const holderOf = (kube: FakeKube, name: string) => (kube.objects.get(`Lease/mygate-system/${name}`)?.spec as LeaseSpec | undefined)?.holderIdentity

async function refusal(attempt: Promise<unknown>): Promise<ConflictError> {
  const error = await attempt.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(ConflictError)
  return error as ConflictError
}

describe('locks exclude each other across Leases', () => {
  test('a deploy is refused while a failover holds the environment lock, naming both, and gives its own lease back', async () => {
    const kube = fakeKube()
    await acquireLock(kube, {...base, holder: 'ops@laptop (pid 1)', scope: {kind: 'environment', operation: 'failover'}})
    const error = await refusal(acquireLease(kube, {...base, holder: 'ci@runner (pid 2)', service: 'billing'}))
    expect(error.message).toMatch(/^refusing a deploy of billing in demo: a failover of the environment is running, held by ops@laptop \(pid 1\) \(for \d+ms\)$/)
    expect(holderOf(kube, 'mygate-deploy-billing')).toBeUndefined()
    expect(holderOf(kube, 'mygate-environment-lock')).toBe('ops@laptop (pid 1)')
  })

  test('an environment lock is refused while a deploy runs, in every region, releasing the regions it had locked', async () => {
    const east = fakeKube()
    const west = fakeKube()
    await acquireLease(west, {...base, holder: 'ci@runner (pid 2)', service: 'visitors'})
    const error = await refusal(acquireEnvironmentLock(new Map([['east', east], ['west', west]]), {...base, holder: 'ops@laptop (pid 1)', operation: 'restore'}))
    expect(error.message).toContain('refusing a restore of the environment in demo: a deploy of visitors is running, held by ci@runner (pid 2)')
    expect(holderOf(east, 'mygate-environment-lock')).toBeUndefined()
    expect(holderOf(west, 'mygate-environment-lock')).toBeUndefined()
  })

  test('an environment lock taken in every region shows in each, and is released in each', async () => {
    const east = fakeKube()
    const west = fakeKube()
    const lock = await acquireEnvironmentLock(new Map([['west', west], ['east', east]]), {...base, holder: 'ops@laptop (pid 1)', operation: 'failover'})
    expect(lock.regions).toEqual(['east', 'west'])
    expect([holderOf(east, 'mygate-environment-lock'), holderOf(west, 'mygate-environment-lock')]).toEqual(['ops@laptop (pid 1)', 'ops@laptop (pid 1)'])
    await refusal(acquireLease(west, {...base, holder: 'ci@runner (pid 2)', service: 'users'}))
    await lock.release()
    await expect(acquireLease(west, {...base, holder: 'ci@runner (pid 2)', service: 'users'})).resolves.toMatchObject({obtained: 'acquired'})
  })

  test('a second environment operation is refused by the same Lease, naming the holder', async () => {
    const kube = fakeKube()
    await acquireLock(kube, {...base, holder: 'ops@laptop (pid 1)', scope: {kind: 'environment', operation: 'failover'}})
    const error = await refusal(acquireLock(kube, {...base, holder: 'ci@runner (pid 2)', scope: {kind: 'environment', operation: 'sync'}}))
    expect(error.message).toMatch(/^an env sync of the environment in demo is already running, held by ops@laptop \(pid 1\)/)
  })

  test('an abort reduces risk: it takes the deploy lease even while the environment is locked', async () => {
    const kube = fakeKube()
    await acquireLock(kube, {...base, holder: 'ops@laptop (pid 1)', scope: {kind: 'environment', operation: 'failover'}})
    await expect(acquireLease(kube, {...base, holder: 'ci@runner (pid 2)', service: 'billing', reducesRisk: true})).resolves.toMatchObject({obtained: 'acquired'})
  })

  test.each([
    ['a deploy of a service the flag covers', 'billing', true],
    ['a deploy of a service it does not', 'visitors', false],
  ])('a flag rollout vs %s', async (_what, service, refused) => {
    const kube = fakeKube()
    await acquireLock(kube, {...base, holder: 'pm@laptop (pid 3)', scope: {kind: 'flag', flag: 'upi-autopay', services: ['billing', 'gateway'], operation: 'flag-rollout'}})
    const attempt = acquireLease(kube, {...base, holder: 'ci@runner (pid 2)', service})
    if (refused) expect((await refusal(attempt)).message).toContain('a rollout of flag upi-autopay (billing, gateway) is running')
    else await expect(attempt).resolves.toMatchObject({obtained: 'acquired'})
  })

  test('an expired or released conflicting lock does not refuse', async () => {
    let now = Date.parse('2026-12-03T10:00:00Z')
    const kube = fakeKube()
    const env = await acquireLock(kube, {...base, holder: 'ops@laptop (pid 1)', scope: {kind: 'environment', operation: 'failover'}, now: () => now})
    now += 61_000
    await expect(acquireLease(kube, {...base, holder: 'ci@runner (pid 2)', service: 'billing', now: () => now})).resolves.toMatchObject({obtained: 'acquired'})
    const other = fakeKube()
    const released = await acquireLock(other, {...base, holder: 'ops@laptop (pid 1)', scope: {kind: 'environment', operation: 'sync'}})
    await released.release()
    await expect(acquireLease(other, {...base, holder: 'ci@runner (pid 2)', service: 'billing'})).resolves.toMatchObject({obtained: 'acquired'})
    await env.release()
  })
})

test('a deploy lease written before the lock model (rollout-service label only) still refuses an environment lock', async () => {
  const kube = fakeKube()
  const now = new Date().toISOString().replace('Z', '000Z')
  kube.put({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {name: 'mygate-deploy-reports', namespace: 'mygate-system', labels: {'mygate.dev/rollout-service': 'reports'}},
    spec: {holderIdentity: 'ci@runner-7 (pid 1)', acquireTime: now, renewTime: now, leaseDurationSeconds: 300},
  })
  const error = await refusal(acquireEnvironmentLock(new Map([['r1', kube]]), {...base, holder: 'ops@laptop (pid 2)', operation: 'sync'}))
  expect(error.message).toContain('refusing an env sync of the environment in demo: a deploy of reports is running, held by ci@runner-7 (pid 1)')
})
