import {describe, expect, test} from 'vitest'

import {breaksWithoutBase} from '../../../src/backup/catalog/health.js'
import type {TimelineBreak} from '../../../src/backup/catalog/timeline-break.js'
import type {BackupTarget} from '../../../src/backup/operations/backup-targets.js'
import {serviceStatus, withBreaksWithoutBase} from '../../../src/backup/operations/backup-status.js'
import {backupHealth} from '../../../src/backup/catalog/health.js'
import {missingBaseWarning} from '../../../src/backup/timeline/after-forced-failover.js'
import {createCatalog} from '../../../src/catalog/catalog.js'
import {planFailover} from '../../../src/failover/plan.js'
import {presentRun, statusLines} from '../../../src/failover/present.js'
import {startRun, stepDone, stepStarted} from '../../../src/failover/run-state.js'
import {testService} from '../../helpers/builders.js'
import {testBackup} from './catalog-builders.js'

/**
 * A timeline break with no base backup after it (a forced failover whose new base failed): the
 * failover says so as a warning and still succeeds; `backup status` is failing for that database
 * until a base is taken, naming the command.
 */

const broke = (at: string, runId = 'fo-1'): TimelineBreak => ({schemaVersion: 1, kind: 'timeline-break', service: 'visitors', database: 'visitors-db', at, reason: 'forced-failover', runId, detail: 'forced in east'})

describe('breaks without a base backup', () => {
  test.each([
    ['no break', [], ['2026-12-03T09:00:00.000Z'], []],
    ['a base started after the break', [broke('2026-12-03T10:00:00.000Z')], ['2026-12-03T09:00:00.000Z', '2026-12-03T10:00:05.000Z'], []],
    ['a base started at the break itself', [broke('2026-12-03T10:00:00.000Z')], ['2026-12-03T10:00:00Z'], []],
    ['only backups before the break', [broke('2026-12-03T10:00:00.000Z')], ['2026-12-03T09:00:00.000Z'], ['fo-1']],
    ['no backup at all', [broke('2026-12-03T10:00:00.000Z')], [], ['fo-1']],
    ['two breaks, a base between them', [broke('2026-12-03T10:00:00.000Z', 'fo-1'), broke('2026-12-03T12:00:00.000Z', 'fo-2')], ['2026-12-03T11:00:00.000Z'], ['fo-2']],
  ])('%s', (_name, breaks, started, expected) => {
    expect(breaksWithoutBase(breaks, started.map((startedAt) => ({startedAt}))).map((b) => b.runId)).toEqual(expected)
  })

  test('backup status: a fresh backup before the break does not make the service healthy; the problem names the command', () => {
    const target: BackupTarget = {service: 'visitors', database: 'visitors-db', dbName: 'visitors', rpo: '5m'}
    const now = new Date(10_000 * 1000)
    const fresh = testBackup({id: 'fresh', last: '9900:0'})
    const healthy = serviceStatus(target, backupHealth({now, rpoMs: 300_000, backups: [fresh], slices: []}), [], undefined, 1)
    expect(healthy.verdict).toBe('healthy')
    expect(withBreaksWithoutBase(healthy, [], 'demo')).toBe(healthy)
    const broken = withBreaksWithoutBase(healthy, [broke('1970-01-01T02:46:00.000Z')], 'demo')
    expect(broken.verdict).toBe('failing')
    expect(broken.breaksWithoutBase).toEqual([{at: '1970-01-01T02:46:00.000Z', reason: 'forced-failover', runId: 'fo-1'}])
    expect(broken.problems).toEqual(['no base backup since the timeline break at 1970-01-01T02:46:00.000Z (forced-failover fo-1): nothing after it can be restored; run `mygate backup create --env demo --service visitors`'])
  })
})

describe('a forced failover whose new base failed', () => {
  const catalog = createCatalog([testService({name: 'visitors-db', kind: 'mongodb'}), testService({name: 'visitors', dependencies: {database: 'visitors-db', services: []}}), testService({name: 'gateway', dependencies: {services: ['visitors']}})])
  const plan = planFailover({spec: {name: 'demo', regions: {primary: 'west', secondary: 'east'}}, activeRegion: 'west', catalog, mode: 'forced'})
  const at = (seconds: number) => new Date(Date.UTC(2026, 11, 3, 7, 0, seconds))
  const warning = missingBaseWarning('demo', {service: 'visitors', database: 'visitors-db'}, at(1).toISOString(), 'dump Job failed: store unreachable')

  const finished = (warnings?: string[]) => {
    let run = startRun({plan, checks: [], who: 'ana@laptop', now: at(0), id: 'fo-test'})
    for (const [i, step] of plan.steps.entries()) run = stepDone(stepStarted(run, step.id, at(i)), step.id, at(i + 1))
    return warnings ? {...run, warnings} : run
  }
  const result = (warnings?: string[]) => ({environment: 'demo', dryRun: false, plan, checks: [], run: finished(warnings), fencesApplied: [], ...(warnings ? {warnings} : {})})

  test('the warning names the database, the break, the cause and the command', () => {
    expect(warning).toBe(
      'visitors-db has no base backup after the forced failover\'s timeline break at 2026-12-03T07:00:01.000Z (dump Job failed: store unreachable): nothing after the break can be restored until one is taken; run `mygate backup create --env demo --service visitors`',
    )
  })

  test('the Result line says SUCCESS WITH 1 WARNING and the warning is printed above it; without warnings it is unchanged', () => {
    const lines = presentRun(result([warning]))
    expect(lines.at(-1)).toMatch(/^Result: SUCCESS WITH 1 WARNING — demo serves from east \(forced, /)
    expect(lines.at(-2)).toBe(`  warning: ${warning}`)
    const clean = presentRun(result())
    expect(clean.at(-1)).toMatch(/^Result: SUCCESS — demo serves from east/)
    expect(clean.some((l) => l.includes('warning'))).toBe(false)
  })

  test('failover status shows the recorded warning with the run', () => {
    const lines = statusLines({environment: 'demo', activeRegion: 'east', unreachable: [], run: finished([warning])} as Parameters<typeof statusLines>[0])
    expect(lines).toContain(`  warning: ${warning}`)
  })
})
