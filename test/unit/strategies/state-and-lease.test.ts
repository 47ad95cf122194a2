import {describe, expect, test} from 'vitest'

import {ConflictError} from '../../../src/errors.js'
import {planCanary} from '../../../src/rollout/plan.js'
import {applyEvent} from '../../../src/rollout/state-machine.js'
import {createRolloutState, type RolloutState} from '../../../src/rollout/state.js'
import {recordAudit, readAudit, type AuditEntry} from '../../../src/audit/audit-log.js'
import {holderIdentity, parseHolder} from '../../../src/audit/identity.js'
import {acquireLease} from '../../../src/locks/lease.js'
import {readRollout, updateRollout, writeNewRollout, type RolloutIoSettings} from '../../../src/strategies/rollout-store.js'
import {fakeKube} from '../../helpers/fake-kube.js'

const IO: RolloutIoSettings = {totalReplicas: 4, router: 'replicas', readyTimeoutMs: 60_000}

function testRollout(overrides: Partial<RolloutState> = {}): RolloutState {
  const state = createRolloutState(
    {
      id: 'visitors-1',
      environment: 'demo',
      service: 'visitors',
      strategy: 'canary',
      fromVersion: '1.0.0',
      fromImage: 'r/visitors:1.0.0',
      toVersion: '1.1.0',
      image: 'r/visitors:1.1.0',
      plan: planCanary({steps: [10, 100], pauseMs: 1000, analysis: false}),
      analysis: {maxErrorRate: 0.01, maxP99LatencyMs: 400, interval: '1s', failureLimit: 1},
      startedBy: {user: 'alice', host: 'laptop'},
    },
    Date.parse('2026-11-23T12:00:00Z'),
  )
  return {...state, ...overrides}
}

describe('rollout record in a ConfigMap', () => {
  test('round-trips the state and the I/O settings', async () => {
    const kube = fakeKube()
    await writeNewRollout(kube, testRollout(), IO, undefined)
    const read = await readRollout(kube, 'visitors')
    expect(read?.state).toEqual(testRollout())
    expect(read?.io).toEqual(IO)
    expect(kube.objects.has('ConfigMap/mygate-system/mygate-rollout-visitors')).toBe(true)
  })

  test('a second writer that read before us gets a ConflictError instead of overwriting', async () => {
    const kube = fakeKube()
    await writeNewRollout(kube, testRollout(), IO, undefined)
    const stale = await readRollout(kube, 'visitors')
    await writeNewRollout(kube, testRollout({id: 'visitors-2'}), IO, stale)
    await expect(writeNewRollout(kube, testRollout({id: 'visitors-3'}), IO, stale)).rejects.toBeInstanceOf(ConflictError)
  })

  test('a 409 that changed nothing (the record is still the one read) is written again', async () => {
    const kube = fakeKube()
    await writeNewRollout(kube, testRollout(), IO, undefined)
    const previous = await readRollout(kube, 'visitors')
    let refusals = 2
    kube.failWrite = (write) => (write.kind === 'ConfigMap' && refusals-- > 0 ? new ConflictError('the object has been modified (injected)') : undefined)
    const written = await writeNewRollout(kube, testRollout({id: 'visitors-2'}), IO, previous)
    expect(written.state.id).toBe('visitors-2')
    expect((await readRollout(kube, 'visitors'))?.state.id).toBe('visitors-2')
  })

  test('on 409 the change is re-applied to the fresh record (an abort from elsewhere is not lost)', async () => {
    const kube = fakeKube()
    const stored = await writeNewRollout(kube, testRollout(), IO, undefined)
    // Another machine aborts between our read and our write.
    let interfered = false
    kube.beforeReplace = () => {
      if (interfered) return
      interfered = true
      const object = [...kube.objects.values()].find((o) => o.metadata.name === 'mygate-rollout-visitors')!
      const aborted = applyEvent(stored.state, {type: 'abortRequested', by: 'bob@desk'}, Date.now())
      kube.put({...object, data: {...(object.data as Record<string, string>), 'rollout.json': JSON.stringify(aborted)}})
    }
    const seen: string[] = []
    const updated = await updateRollout(kube, stored, (fresh) => {
      seen.push(fresh.state.phase)
      // The executor's rule: an event computed for another point of the plan is dropped.
      return fresh.state.phase === stored.state.phase ? applyEvent(fresh.state, {type: 'stepCompleted'}, Date.now()) : undefined
    })
    expect(seen).toEqual(['Pending', 'RollingBack'])
    expect(updated.state.phase).toBe('RollingBack')
    expect((await readRollout(kube, 'visitors'))?.state.rollback?.reason).toBe('aborted by bob@desk')
  })

  test.each([
    ['abortRequested', {type: 'abortRequested', by: 'alice@laptop'}],
    ['promoteRequested', {type: 'promoteRequested', full: true, by: 'alice@laptop'}],
  ] as const)('a %s whose write landed but whose answer was lost (the retry meets our own write: 409) is not applied twice', async (_name, event) => {
    const kube = fakeKube()
    const stored = await writeNewRollout(kube, testRollout(), IO, undefined)
    // The lost answer: the replace is stored, then the retried request is refused with 409.
    kube.failWrite = (write) => {
      if (write.kind !== 'ConfigMap' || write.verb !== 'replace') return undefined
      kube.failWrite = () => new ConflictError('the object has been modified (the retry of a write that landed)')
      return undefined
    }
    const realReplace = kube.replace.bind(kube)
    kube.replace = async (object) => {
      await realReplace(object)
      return realReplace(object)
    }
    const applied: string[] = []
    const updated = await updateRollout(kube, stored, (fresh) => {
      applied.push(fresh.state.phase)
      return applyEvent(fresh.state, event, Date.parse('2026-11-23T12:00:05Z'))
    })
    expect(applied).toEqual(['Pending'])
    const expected = applyEvent(stored.state, event, Date.parse('2026-11-23T12:00:05Z'))
    expect(updated.state).toEqual(expected)
    expect((await readRollout(kube, 'visitors'))?.state).toEqual(expected)
  })

  test('a 409 from someone else\'s write is not taken for ours: the change runs again on their record', async () => {
    const kube = fakeKube()
    const stored = await writeNewRollout(kube, testRollout(), IO, undefined)
    let interfered = false
    kube.beforeReplace = () => {
      if (interfered) return
      interfered = true
      const object = [...kube.objects.values()].find((o) => o.metadata.name === 'mygate-rollout-visitors')!
      const promoted = applyEvent(stored.state, {type: 'promoteRequested', full: true, by: 'bob@desk'}, Date.parse('2026-11-23T12:00:01Z'))
      kube.put({...object, data: {...(object.data as Record<string, string>), 'rollout.json': JSON.stringify(promoted)}})
    }
    const applied: string[] = []
    await updateRollout(kube, stored, (fresh) => {
      applied.push(fresh.state.message)
      return applyEvent(fresh.state, {type: 'abortRequested', by: 'alice@laptop'}, Date.parse('2026-11-23T12:00:05Z'))
    })
    expect(applied).toHaveLength(2)
    expect((await readRollout(kube, 'visitors'))?.state.rollback?.reason).toBe('aborted by alice@laptop')
  })
})

describe('deploy lease', () => {
  const base = Date.parse('2026-11-23T12:00:00Z')

  test('a second holder is refused with the holder and its age; the first can renew and release', async () => {
    const kube = fakeKube()
    let now = base
    const first = await acquireLease(kube, {holder: 'ci@runner-7 (pid 1)', service: 'visitors', environment: 'demo', durationSeconds: 15, now: () => now})
    expect(first.obtained).toBe('acquired')
    now += 5000
    const refused = acquireLease(kube, {holder: 'alice@laptop (pid 2)', service: 'visitors', environment: 'demo', durationSeconds: 15, now: () => now, takeOverDeadLocalHolder: false})
    await expect(refused).rejects.toThrow(/visitors in demo is being deployed by ci@runner-7 \(pid 1\) \(for 5s\); refusing a second deploy/)
    await expect(refused).rejects.toMatchObject({exitCode: 6})
    await first.renew()
    await first.release()
    const second = await acquireLease(kube, {holder: 'alice@laptop (pid 2)', service: 'visitors', environment: 'demo', durationSeconds: 15, now: () => now})
    expect(second.obtained).toBe('acquired')
  })

  test('an expired lease is taken over, counting a transition', async () => {
    const kube = fakeKube()
    let now = base
    await acquireLease(kube, {holder: 'ci@runner-7 (pid 1)', service: 'visitors', environment: 'demo', durationSeconds: 15, now: () => now})
    now += 16_000
    const taken = await acquireLease(kube, {holder: 'alice@laptop (pid 2)', service: 'visitors', environment: 'demo', durationSeconds: 15, now: () => now, takeOverDeadLocalHolder: false})
    expect(taken).toMatchObject({obtained: 'taken over', previousHolder: 'ci@runner-7 (pid 1)'})
    const lease = kube.objects.get('Lease/mygate-system/mygate-deploy-visitors')
    expect(lease?.spec).toMatchObject({holderIdentity: 'alice@laptop (pid 2)', leaseTransitions: 1, leaseDurationSeconds: 15})
  })

  test('a live lease of a process on this host that no longer exists is taken over at once (a killed CLI)', async () => {
    const kube = fakeKube()
    const dead = holderIdentity({user: 'alice', host: (await import('node:os')).hostname()}, 2 ** 22 + 12345)
    await acquireLease(kube, {holder: dead, service: 'visitors', environment: 'demo', durationSeconds: 600})
    const mine = await acquireLease(kube, {holder: holderIdentity(), service: 'visitors', environment: 'demo', durationSeconds: 600})
    expect(mine).toMatchObject({obtained: 'taken over', previousHolder: dead})
  })

  describe('a 409 on the Lease: read again and decide again, never a blind repeat', () => {
    const released = async (kube: ReturnType<typeof fakeKube>) => {
      const first = await acquireLease(kube, {holder: 'ci@runner-7 (pid 1)', service: 'visitors', environment: 'demo', durationSeconds: 15, now: () => base})
      await first.release()
    }
    const conflicts = (count: number, verb = 'replace') => {
      let left = count
      return (write: {verb: string; kind: string}) => (write.kind === 'Lease' && write.verb === verb && left-- > 0 ? new ConflictError('the object has been modified (injected)') : undefined)
    }

    test('a refusal that changed nothing: the lease is still free, so it is acquired', async () => {
      const kube = fakeKube()
      await released(kube)
      kube.failWrite = conflicts(2)
      const mine = await acquireLease(kube, {holder: 'alice@laptop (pid 2)', service: 'visitors', environment: 'demo', durationSeconds: 15, now: () => base})
      expect(mine.obtained).toBe('acquired')
      expect(kube.objects.get('Lease/mygate-system/mygate-deploy-visitors')?.spec).toMatchObject({holderIdentity: 'alice@laptop (pid 2)'})
    })

    test('a race lost to another deploy: the re-read names the winner and the deploy is refused', async () => {
      const kube = fakeKube()
      await released(kube)
      kube.beforeReplace = (object) => {
        kube.beforeReplace = undefined
        kube.put({...object, metadata: {...object.metadata}, spec: {...(object.spec as object), holderIdentity: 'bob@ci (pid 3)'}})
      }
      const lost = acquireLease(kube, {holder: 'alice@laptop (pid 2)', service: 'visitors', environment: 'demo', durationSeconds: 15, now: () => base, takeOverDeadLocalHolder: false})
      await expect(lost).rejects.toThrow(/being deployed by bob@ci \(pid 3\)/)
      expect(kube.objects.get('Lease/mygate-system/mygate-deploy-visitors')?.spec).toMatchObject({holderIdentity: 'bob@ci (pid 3)'})
    })

    test('release and renew after a refusal that changed nothing still release and renew', async () => {
      const kube = fakeKube()
      let now = base
      const mine = await acquireLease(kube, {holder: 'alice@laptop (pid 2)', service: 'visitors', environment: 'demo', durationSeconds: 15, now: () => now})
      kube.failWrite = conflicts(1)
      now += 5000
      await mine.renew()
      expect((kube.objects.get('Lease/mygate-system/mygate-deploy-visitors')?.spec as {renewTime: string}).renewTime).toMatch(/12:00:05/)
      kube.failWrite = conflicts(1)
      await mine.release()
      expect(kube.objects.get('Lease/mygate-system/mygate-deploy-visitors')?.spec).not.toHaveProperty('holderIdentity')
    })
  })

  test('holder identities parse back', () => {
    expect(parseHolder('alice@laptop.local (pid 4242)')).toEqual({user: 'alice', host: 'laptop.local', pid: 4242})
    expect(parseHolder('something else')).toBeUndefined()
  })
})

describe('audit trail', () => {
  const entry = (id: string, outcome: AuditEntry['outcome'] = 'started'): AuditEntry => ({
    id, service: 'visitors', environment: 'demo', fromVersion: '1.0.0', toVersion: '1.1.0', strategy: 'canary', user: 'alice', host: 'laptop', startedAt: '2026-11-23T12:00:00Z', outcome,
  })

  test('updates an entry in place by rollout id and keeps the last 50', async () => {
    const kube = fakeKube()
    for (let i = 0; i < 55; i++) await recordAudit(kube, entry(`r${i}`))
    await recordAudit(kube, entry('r54', 'rolled back'))
    const entries = await readAudit(kube, 'visitors')
    expect(entries).toHaveLength(50)
    expect(entries[0].id).toBe('r5')
    expect(entries.at(-1)).toMatchObject({id: 'r54', outcome: 'rolled back'})
  })
})
