import {describe, expect, test} from 'vitest'

import {BookkeepingError, ExitCode, ExternalError} from '../../../src/errors.js'
import type {PrometheusClient} from '../../../src/analysis/prometheus-client.js'
import {readAudit} from '../../../src/audit/audit-log.js'
import {readRecord, writeRecord, type EnvironmentRecord} from '../../../src/env/record.js'
import {acquireLease} from '../../../src/locks/lease.js'
import {planCanary} from '../../../src/rollout/plan.js'
import {createRolloutState, type RolloutState} from '../../../src/rollout/state.js'
import {describeDone} from '../../../src/strategies/bookkeeping.js'
import {writeNewRollout} from '../../../src/strategies/rollout-store.js'
import {rolloutPhase} from '../../../src/strategies/rollout-progress.js'
import {driveRollout} from '../../../src/strategies/run-service.js'
import {createProgress} from '../../../src/ui/progress.js'
import {testEnvironment} from '../../helpers/builders.js'
import {fakeKube, type FakeWrite} from '../../helpers/fake-kube.js'

/**
 * The records a rollout leaves once it has ended (audit entry, deployed version, lease release),
 * written through the fake kube whose writes a test can refuse: a failure there is exit 8 with the
 * rollout's outcome intact, never a failed rollout.
 */

const noPrometheus: PrometheusClient = {query: () => Promise.reject(new Error('not used')), queryRange: () => Promise.reject(new Error('not used'))}

function endedRollout(phase: RolloutState['phase']): RolloutState {
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
      plan: planCanary({steps: [100], pauseMs: 1000, analysis: false}),
      analysis: {maxErrorRate: 0.01, maxP99LatencyMs: 400, interval: '1m', failureLimit: 1},
      startedBy: {user: 'alice', host: 'laptop'},
    },
    Date.parse('2026-12-03T08:00:00Z'),
  )
  return {...state, phase, currentStepIndex: state.plan.length, currentWeight: phase === 'Succeeded' ? 100 : 0}
}

async function drive(phase: RolloutState['phase'], failWrite?: (write: FakeWrite) => Error | undefined) {
  const kube = fakeKube()
  const spec = testEnvironment({name: 'demo'})
  const record: EnvironmentRecord = {
    schemaVersion: 1, name: 'demo', provider: 'local', spec, clusters: [], activeRegion: 'local-1', versions: {visitors: '0.9.0'},
    phase: 'ready', createdAt: '2026-12-03T07:00:00Z', updatedAt: '2026-12-03T07:00:00Z',
  }
  await writeRecord(kube, record)
  const stored = await writeNewRollout(kube, endedRollout(phase), {totalReplicas: 1, router: 'replicas', readyTimeoutMs: 60_000}, undefined)
  const lease = await acquireLease(kube, {holder: 'alice@laptop (pid 1)', service: 'visitors', environment: 'demo'})
  kube.failWrite = failWrite
  const lines: string[] = []
  const progress = createProgress({mode: 'lines', write: (line) => lines.push(line)})
  const block = progress.block([rolloutPhase(stored.state)])
  const env = {name: 'demo', registry: 'r', mesh: false, client: kube, allClients: [kube], prometheus: noPrometheus}
  const outcome = await driveRollout({env, stored, wait: true, progress: block.phases[0], lease}).then(
    (result) => ({result, error: undefined}),
    (error: unknown) => ({result: undefined, error}),
  )
  kube.failWrite = undefined
  const leaseSpec = kube.objects.get('Lease/mygate-system/mygate-deploy-visitors')?.spec as {holderIdentity?: string}
  return {...outcome, kube, lines, holder: leaseSpec.holderIdentity, version: (await readRecord(kube))?.versions.visitors, audit: await readAudit(kube, 'visitors')}
}

const refuse = (kind: string, name: string) => (write: FakeWrite) =>
  write.kind === kind && write.name === name ? new ExternalError(`update ${kind} ${name}: the server is currently unable to handle the request`) : undefined

describe('bookkeeping after a rollout ended', () => {
  test('every record written: the result, the audit outcome, the version, the lease released', async () => {
    const run = await drive('Succeeded')
    expect(run.error).toBeUndefined()
    expect(run.result?.outcome).toBe('succeeded')
    expect(run.audit.map((e) => e.outcome)).toEqual(['succeeded'])
    expect(run.version).toBe('1.1.0')
    expect(run.holder).toBeUndefined()
  })

  test('the audit entry cannot be written: exit 8 naming what was done, what is missing and the command that writes it', async () => {
    const run = await drive('Succeeded', refuse('ConfigMap', 'mygate-rollout-audit-visitors'))
    expect(run.error).toBeInstanceOf(BookkeepingError)
    const error = run.error as BookkeepingError
    expect(error.exitCode).toBe(ExitCode.bookkeeping)
    expect(error.exitCode).not.toBe(ExitCode.failed)
    expect(error.message).toBe(
      'deployed visitors 1.1.0; could not record it: audit entry: update ConfigMap mygate-rollout-audit-visitors: the server is currently unable to handle the request',
    )
    expect(error.hint).toBe('run `mygate rollout resume visitors --env demo` to write the records again')
    expect(error.details?.result).toMatchObject({service: 'visitors', outcome: 'succeeded', phase: 'Succeeded'})
    // What could be written was: the version, and the lease is free for the next deploy.
    expect(run.version).toBe('1.1.0')
    expect(run.holder).toBeUndefined()
    expect(run.audit).toEqual([])
  })

  test('the deployed version cannot be written: the same exit 8, the audit entry still written', async () => {
    const run = await drive('Aborted', refuse('ConfigMap', 'mygate-environment'))
    const error = run.error as BookkeepingError
    expect(error.exitCode).toBe(8)
    expect(error.message).toMatch(/^aborted visitors 1\.1\.0: 1\.0\.0 serves all traffic; could not record it: deployed version: /)
    expect(run.audit.map((e) => e.outcome)).toEqual(['aborted'])
  })

  test('the lease cannot be released: exit 8 saying so, with the records written', async () => {
    const run = await drive('Succeeded', refuse('Lease', 'mygate-deploy-visitors'))
    const error = run.error as BookkeepingError
    expect(error.message).toMatch(/^deployed visitors 1\.1\.0; could not record it: deploy lease release: /)
    expect(error.hint).toMatch(/the lease expires by itself/)
    expect(run.holder).toBe('alice@laptop (pid 1)')
    expect(run.audit.map((e) => e.outcome)).toEqual(['succeeded'])
  })

  test.each([
    ['Succeeded', 'deployed visitors 1.1.0'],
    ['RolledBack', 'rolled visitors back to 1.0.0'],
    ['Aborted', 'aborted visitors 1.1.0: 1.0.0 serves all traffic'],
    ['Failed', 'visitors 1.1.0 failed'],
  ] as const)('what was done, %s: "%s"', (phase, words) => {
    expect(describeDone(endedRollout(phase))).toBe(words)
  })
})
