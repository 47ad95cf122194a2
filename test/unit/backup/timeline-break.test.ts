import {describe, expect, test} from 'vitest'

import {listCatalog, recordTimelineBreak} from '../../../src/backup/catalog/catalog-store.js'
import {baseBackupKeys} from '../../../src/backup/catalog/entry.js'
import {formatOplogTimestamp} from '../../../src/backup/catalog/oplog-timestamp.js'
import {formatWindow, parseRestoreTarget, planPointInTimeRestore, restorableWindow} from '../../../src/backup/catalog/restore-window.js'
import {epochOfPoint, epochOfTime, parseTimelineBreak, type TimelineBreak} from '../../../src/backup/catalog/timeline-break.js'
import {chooseRestoreSource} from '../../../src/backup/restore/restore-source.js'
import {MemoryObjectStore} from '../../../src/backup/storage/memory-store.js'
import {takeNewBaseAfterBreak} from '../../../src/backup/timeline/new-base-after-break.js'
import {UsageError} from '../../../src/errors.js'
import {testBackup, testSlice} from './catalog-builders.js'

const iso = (seconds: number) => new Date(seconds * 1000).toISOString()

function testBreak(seconds: number, overrides: Partial<TimelineBreak> = {}): TimelineBreak {
  return {schemaVersion: 1, kind: 'timeline-break', service: 'visitors', database: 'visitors-db', at: iso(seconds), reason: 'restore-switch', runId: `rs-${seconds}`, detail: 'visitors reads visitors-db-rabcd', ...overrides}
}

// Old timeline: base B1 at 100:0, slices to 160:2 and a slice (160:2, 220:0] that straddles the
// break at 200 s. New timeline: the base taken at the switch (started 201 s) of the restored set,
// whose own oplog ends at 190:0 (the restore's writes), and a slice of the new writes to 260:0.
const B1 = testBackup({last: '100:0'})
const B2 = testBackup({id: 'b-new', last: '190:0', startedAt: iso(201), finishedAt: iso(202)})
const BREAK = testBreak(200)
const slices = [testSlice('100:0', '160:2'), testSlice('160:2', '220:0'), testSlice('190:0', '260:0', {firstAt: iso(203)})]

describe('which side of the breaks', () => {
  const breaks = [testBreak(200), testBreak(300, {reason: 'forced-failover', runId: 'fo-1'})]
  test.each([
    [iso(199), 0],
    [iso(200), 1],
    [iso(299), 1],
    [iso(300), 2],
    [iso(400), 2],
  ])('wall time %s is after %i break(s)', (at, epoch) => {
    expect(epochOfTime(at, breaks)).toBe(epoch)
  })
  test.each([
    ['199:4294967295', 0],
    ['200:0', 1],
    ['300:1', 2],
  ])('oplog point %s is after %i break(s)', (point, epoch) => {
    const [seconds, ordinal] = point.split(':').map(Number)
    expect(epochOfPoint({seconds, ordinal}, breaks)).toBe(epoch)
  })
})

describe('the restorable window with a timeline break', () => {
  test('the old chain stops just before the break; the new base starts at it', () => {
    const window = restorableWindow([B1, B2], slices, [BREAK])
    expect(window.map((s) => [formatOplogTimestamp(s.from), formatOplogTimestamp(s.to), s.epoch])).toEqual([
      ['100:0', '199:4294967295', 0],
      ['200:0', '260:0', 1],
    ])
    expect(formatWindow(window, [BREAK])).toContain(`[timeline break at ${iso(200)} (restore rs-200 switched visitors: visitors reads visitors-db-rabcd)]`)
  })

  test('without the break the same catalog reads as one window (what the break prevents)', () => {
    expect(restorableWindow([B1, B2], slices)).toHaveLength(1)
  })

  test('a break with no base since is named at the end of the window', () => {
    expect(formatWindow(restorableWindow([B1], slices, [BREAK]), [BREAK])).toMatch(/\[timeline break at .*: no backup since\]$/)
  })
})

describe('point-in-time restore across a break', () => {
  test.each([
    // [target, base chosen, slices replayed]
    ['150:0', 'b-100', ['s-100:0-160:2']],
    // Before the break inside the straddling slice: replayed up to the target only.
    ['199:5', 'b-100', ['s-100:0-160:2', 's-160:2-220:0']],
    // At and after the break: only the new base and the new timeline's slice.
    ['200:0', 'b-new', ['s-190:0-260:0']],
    ['250:0', 'b-new', ['s-190:0-260:0']],
  ])('%s restores from %s', (target, base, replayed) => {
    const plan = planPointInTimeRestore([B1, B2], slices, parseRestoreTarget({toTime: target}), [BREAK])
    expect(plan.base.id).toBe(base)
    expect(plan.slices.map((s) => s.id)).toEqual(replayed)
  })

  test('a target after the break with no base since is refused naming the break and the windows', () => {
    const target = parseRestoreTarget({toTime: '210:0'})
    // Without the break the old chain would replay through the straddling slice to 210:0.
    expect(planPointInTimeRestore([B1], slices, target).base.id).toBe('b-100')
    let error: unknown
    try {
      planPointInTimeRestore([B1], slices, target, [BREAK])
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(UsageError)
    expect((error as Error).message).toMatch(new RegExp(`^210:0 cannot be restored: the replay would cross the timeline break at ${iso(200).replace(/\./g, '\\.')} \\(restore rs-200 switched visitors`))
    expect((error as Error).message).toContain('restorable: ')
    expect((error as Error).message).toContain('(100:0) to ')
  })

  test('an old slice never extends the new base even when its range would chain', () => {
    // The restored set's oplog ends at 190:0 and an old-timeline slice (180:0, 195:0] would chain
    // onto it by range alone; it began before the break, so it is not the live data's history.
    const old = testSlice('180:0', '195:0')
    const plan = planPointInTimeRestore([B1, B2], [...slices, old], parseRestoreTarget({toTime: '250:0'}), [BREAK])
    expect(plan.slices.map((s) => s.id)).toEqual(['s-190:0-260:0'])
  })

  test('--to-time through chooseRestoreSource passes the breaks on', () => {
    expect(() => chooseRestoreSource({service: 'visitors', backups: [B1], slices, breaks: [BREAK], toTime: '210:0', now: new Date(1e12)})).toThrow(/would cross the timeline break/)
  })
})

describe('parsing a stored break', () => {
  test('a record round-trips', () => {
    expect(parseTimelineBreak(JSON.stringify(BREAK), 'k')).toEqual(BREAK)
  })
  test.each([
    ['{', 'is not valid JSON'],
    [JSON.stringify({...BREAK, reason: 'whim'}), 'is not a mygate timeline break record'],
    [JSON.stringify({...BREAK, at: 'yesterday'}), 'is not a mygate timeline break record'],
    [JSON.stringify({...BREAK, schemaVersion: 99}), 'has schema version 99'],
  ])('%s is refused', (text, message) => {
    expect(() => parseTimelineBreak(text, 'backups/visitors/breaks/x.json')).toThrow(message)
  })
})

describe('a new base after a break is taken once', () => {
  // A site whose cluster refuses everything: reaching it means a backup was started.
  const site = (store: MemoryObjectStore) => ({
    client: new Proxy({}, {get: () => () => Promise.reject(new Error('a backup was started'))}) as never,
    region: 'r',
    store,
    locate: (key: string) => ({provider: 'local' as const, bucket: store.bucket, key}),
  })
  const options = (store: MemoryObjectStore, at: Date) => ({
    environment: 'demo',
    site: site(store),
    targets: [{service: 'visitors', database: 'visitors-db', dbName: 'visitors', rpo: '1h'}],
    reason: 'restore-switch' as const,
    runId: 'rs-20261203-120000-abcd',
    at,
    setOf: () => 'visitors-db-rabcd',
    hostsOf: () => ['h:27017'],
    detail: () => 'visitors reads visitors-db-rabcd',
  })

  test('a resumed run finds its break and the base taken after it, and starts no backup', async () => {
    const store = new MemoryObjectStore()
    await recordTimelineBreak(store, {service: 'visitors', database: 'visitors-db', at: iso(200), reason: 'restore-switch', runId: 'rs-20261203-120000-abcd', detail: 'first'})
    const after = testBackup({id: 'b-after', last: '190:0', startedAt: iso(201)})
    await store.put(baseBackupKeys('visitors', after.id).entry, Buffer.from(JSON.stringify(after)))
    // Resumed later: the break keeps its first time and detail, the base is the one found.
    const [done] = await takeNewBaseAfterBreak(options(store, new Date(500_000)))
    expect(done).toMatchObject({taken: false, backupId: 'b-after', timelineBreak: {at: iso(200), detail: 'first'}})
    expect((await listCatalog(store)).breaks).toHaveLength(1)
  })

  test('without a base since the break, a backup is started (here: the refusing cluster is reached)', async () => {
    const store = new MemoryObjectStore()
    const before = testBackup({id: 'b-before', last: '100:0'})
    await store.put(baseBackupKeys('visitors', before.id).entry, Buffer.from(JSON.stringify(before)))
    await expect(takeNewBaseAfterBreak(options(store, new Date(200_000)))).rejects.toThrow('a backup was started')
    expect((await listCatalog(store)).breaks.map((b) => b.at)).toEqual([iso(200)])
  })
})
