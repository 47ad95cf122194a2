import {describe, expect, test} from 'vitest'

import {
  decideAbandon,
  decideRerun,
  decideUndo,
  refuseSwitchAcrossRegions,
  keepPreviousUntil,
  liveTouched,
  markUndone,
  nextRestoreStep,
  RESTORE_STEPS,
  restoredSetName,
  type RestoreRequest,
  type RestoreRun,
  type RestoreStepKind,
  restoreStepDone,
  restoreStepFailed,
  restoreStepStarted,
  startRestoreRun,
} from '../../../src/backup/restore/restore-run.js'

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 3, 9, 0, seconds))
const request = (overrides: Partial<RestoreRequest> = {}): RestoreRequest => ({environment: 'demo', service: 'visitors', database: 'visitors-db', backupId: 'b1', switch: true, ...overrides})
const fresh = (overrides: Partial<RestoreRequest> = {}) => startRestoreRun({request: request(overrides), previousSet: 'visitors-db', who: 'ana@laptop', now: at(0), id: 'rs-20261203-090000-k3x9'})

/** A run with every step before `kind` done and `kind` in `status` (running: killed there). */
function at_(kind: RestoreStepKind | 'finished', status: 'running' | 'failed' = 'running', overrides: Partial<RestoreRequest> = {}): RestoreRun {
  let run = fresh(overrides)
  let t = 1
  for (const step of run.steps.map((s) => s.kind)) {
    if (step === kind) {
      run = restoreStepStarted(run, step, at(t))
      return status === 'failed' ? restoreStepFailed(run, step, at(t + 1), 'boom') : run
    }
    run = restoreStepDone(restoreStepStarted(run, step, at(t)), step, at(t + 1))
    t += 2
  }
  return run
}

describe('restore run state machine', () => {
  test('a switching run walks every step in order and succeeds after record', () => {
    let run = fresh()
    expect(run.steps.map((s) => s.kind)).toEqual([...RESTORE_STEPS])
    expect(run.restoredSet).toBe('visitors-db-rk3x9')
    const seen: string[] = []
    for (let step = nextRestoreStep(run); step; step = nextRestoreStep(run)) {
      seen.push(step.kind)
      expect(run.outcome).toBe('running')
      run = restoreStepDone(restoreStepStarted(run, step.kind, at(1)), step.kind, at(2))
    }
    expect(seen).toEqual([...RESTORE_STEPS])
    expect(run).toMatchObject({outcome: 'succeeded', finishedAt: at(2).toISOString()})
  })

  test('--no-switch restores, proves and records, nothing else', () => {
    expect(fresh({switch: false}).steps.map((s) => s.kind)).toEqual(['restore-beside', 'prove', 'record'])
  })

  test('a resumed step keeps its first start time', () => {
    const killed = at_('restore-beside')
    const again = restoreStepStarted(killed, 'restore-beside', at(30))
    expect(again.steps[0].startedAt).toBe(at(1).toISOString())
  })

  test('a step not in the run is a bug', () => {
    expect(() => restoreStepStarted(fresh({switch: false}), 'switch', at(1))).toThrow('step switch is not in restore run')
  })

  test.each([
    ['visitors-db', 'rs-20261203-090000-k3x9', 'visitors-db-rk3x9'],
    ['billing-db', 'rs-20261203-090000-0000', 'billing-db-r0000'],
  ])('the restored set of %s for run %s is %s', (database, id, name) => {
    expect(restoredSetName(database, id)).toBe(name)
  })

  test.each<[RestoreStepKind | 'finished', boolean]>([
    ['restore-beside', false],
    ['prove', false],
    ['confirm', false],
    ['stop-writes', false],
    ['switch', true],
    ['restart', true],
    ['resume-writes', true],
    ['record', true],
    ['finished', true],
  ])('killed at %s: the live set may already be switched = %s', (kind, touched) => {
    expect(liveTouched(at_(kind))).toBe(touched)
  })
})

describe('re-running a restore', () => {
  test('nothing stored, or the last run finished: start a new one', () => {
    expect(decideRerun(undefined, request()).kind).toBe('start')
    expect(decideRerun(at_('finished'), request()).kind).toBe('start')
    expect(decideRerun(markUndone(at_('finished'), at(50), 0, ''), request()).kind).toBe('start')
  })

  test.each<[RestoreStepKind, 'running' | 'failed']>([
    ['restore-beside', 'running'],
    ['prove', 'failed'],
    ['stop-writes', 'running'],
    ['switch', 'running'],
    ['resume-writes', 'failed'],
  ])('killed (or failed) at %s (%s): the same request resumes at that step', (kind, status) => {
    const decision = decideRerun(at_(kind, status), request())
    expect(decision.kind).toBe('resume')
    if (decision.kind !== 'resume') return
    expect(decision.run.outcome).toBe('running')
    expect(nextRestoreStep(decision.run)?.kind).toBe(kind)
  })

  test.each<[string, Partial<RestoreRequest>]>([
    ['another backup', {backupId: 'b2'}],
    ['another point in time', {oplogLimit: '1700000000:1'}],
    ['--no-switch', {switch: false}],
  ])('an unfinished run and a request for %s: refused naming the run and how to finish or abandon it', (_what, change) => {
    const decision = decideRerun(at_('prove'), request(change))
    expect(decision.kind).toBe('refuse')
    if (decision.kind !== 'refuse') return
    expect(decision.error.message).toBe('restore rs-20261203-090000-k3x9 of visitors from backup b1 is unfinished (at prove); it must be finished or abandoned first')
    expect(decision.error.hint).toContain('--abandon')
    expect(decision.error.exitCode).toBe(6)
  })

  test('a finished --no-switch run keeps its set: another restore is refused until it is abandoned', () => {
    const kept = at_('finished', 'running', {switch: false})
    const decision = decideRerun(kept, request())
    expect(decision.kind === 'refuse' && decision.error.message).toBe('restore rs-20261203-090000-k3x9 of visitors from backup b1 (--no-switch) kept visitors-db-rk3x9 beside visitors-db; remove it before another restore of visitors')
    expect(decideAbandon(kept, 'visitors')).toMatchObject({kind: 'abandon', scaleBack: false})
  })

  test('an unfinished run past the switch is not offered --abandon', () => {
    const decision = decideRerun(at_('restart'), request({backupId: 'b2'}))
    expect(decision.kind === 'refuse' && decision.error.hint).not.toContain('--abandon')
  })
})

describe('--abandon', () => {
  test.each<[RestoreStepKind, 'running' | 'failed', boolean]>([
    ['restore-beside', 'running', false],
    ['prove', 'failed', false],
    ['confirm', 'running', false],
    ['stop-writes', 'running', true],
  ])('before the switch (%s, %s) it removes the set; scales the service back = %s', (kind, status, scaleBack) => {
    expect(decideAbandon(at_(kind, status), 'visitors')).toMatchObject({kind: 'abandon', scaleBack})
  })

  test.each<RestoreStepKind>(['switch', 'restart', 'record'])('from %s on it is refused: the service may read the restored set', (kind) => {
    const decision = decideAbandon(at_(kind), 'visitors')
    expect(decision.kind).toBe('refuse')
    expect(decision.kind === 'refuse' && decision.error.message).toContain('has already switched visitors to visitors-db-rk3x9')
  })

  test('with nothing unfinished it is bad input', () => {
    expect(decideAbandon(undefined, 'visitors')).toMatchObject({kind: 'refuse'})
    const decision = decideAbandon(at_('finished'), 'visitors')
    expect(decision.kind === 'refuse' && decision.error.message).toBe('there is no unfinished restore of visitors to abandon')
  })
})

describe('--undo', () => {
  test('a finished switching restore can be undone, once', () => {
    expect(decideUndo(at_('finished'), 'visitors')).toMatchObject({kind: 'undo'})
    const undone = markUndone(at_('finished'), at(90), 4, 'switched back')
    expect(undone).toMatchObject({outcome: 'undone', undo: {writesSinceSwitch: 4}})
    const again = decideUndo(undone, 'visitors')
    expect(again.kind === 'refuse' && again.error.message).toContain('was already undone')
  })

  test.each<[string, RestoreRun | undefined, string]>([
    ['no restore', undefined, 'visitors has no restore to undo'],
    ['a --no-switch restore', at_('finished', 'running', {switch: false}), 'did not switch visitors'],
    ['an unfinished one', at_('restart'), 'is unfinished (at restart)'],
  ])('%s: refused', (_what, run, message) => {
    const decision = decideUndo(run, 'visitors')
    expect(decision.kind).toBe('refuse')
    expect(decision.kind === 'refuse' && decision.error.message).toContain(message)
  })

  test('the old set is kept a week after the switch by default', () => {
    expect(keepPreviousUntil(at(0))).toBe('2026-12-10T09:00:00.000Z')
  })
})

describe('a switch in a two-region environment', () => {
  test.each([
    ['one region, switching', 'local', undefined, true, false],
    ['two regions locally, switching: the restored set spans both', 'local', 'west-2', true, false],
    ['two regions on kubeconfig clusters, switching', 'kubeconfig', 'west-2', true, false],
    ['two regions on aws, --no-switch', 'aws', 'west-2', false, false],
    ['two regions on aws, switching', 'aws', 'west-2', true, true],
    ['two regions on gcp, switching', 'gcp', 'west-2', true, true],
  ] as const)('%s: refused = %s', (_what, provider, secondaryRegion, switching, refused) => {
    const error = refuseSwitchAcrossRegions({environment: 'prod', provider, ...(secondaryRegion ? {secondaryRegion} : {}), switching, services: ['visitors']})
    expect(error !== undefined).toBe(refused)
    if (error) {
      expect(error.message).toBe(`prod runs in two regions on ${provider}, where a restored set has members in its active region only (its member names would need records in the environment's private zone): switching visitors to it would leave west-2 unable to reach its database`)
      expect(error.exitCode).toBe(2)
    }
  })
})
