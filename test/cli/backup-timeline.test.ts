import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {LocalObjectStore} from '../../src/backup/storage/local-store.js'
import {listAll, readSmallObject} from '../../src/backup/storage/object-store.js'
import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalEnvironment, type LocalHome} from '../helpers/local-home.js'

/**
 * A restore's switch breaks the service's timeline: through the built CLI on a local dev
 * environment, the switch records the break and takes a new base backup of the restored set at
 * once (a dump Job labelled with that set, checked with real kubectl, whose documents are the
 * restored set's, not the live set's that kept growing); `backup list` shows the break; a
 * `--to-time` before it still plans from the old backup, one after it that only the old chain
 * could have reached is refused naming the break.
 */

async function keys(store: LocalObjectStore): Promise<string[]> {
  const found: string[] = []
  for await (const object of listAll(store, 'backups/')) found.push(object.key)
  return found.sort()
}

interface ListResult {
  store: string
  backups: Array<{id: string; documents: number; oplogLast: string}>
  breaks: Array<{service: string; at: string; reason: string; runId: string; detail: string}>
  windows: Array<{service: string; segments: Array<{from: string; to: string; epoch: number}>; text: string}>
}

describe('mygate backup restore: the timeline break and the new base (local environment)', () => {
  let local: LocalHome
  let kubeconfig: string
  let old: {id: string; oplogLast: string}
  const kubectl = (...args: string[]) => runKubectl(args, {kubeconfig})
  const list = async (): Promise<ListResult> => {
    const run = await local.cli(['backup', 'list', '--env', 'demo', '--service', 'visitors', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    return parseEnvelope<{result: ListResult}>(run.stdout).result
  }

  beforeAll(async () => {
    ;({local, kubeconfig} = await createLocalEnvironment('demo'))
    const run = await local.cli(['backup', 'create', '--env', 'demo', '--service', 'visitors', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    old = parseEnvelope<{result: {backups: Array<{id: string; oplogLast: string}>}}>(run.stdout).result.backups[0]
  }, 180_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('the switch records the break and takes a new base of the restored set; --to-time respects the break', async () => {
    const restore = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', old.id, '--json'])
    expect(restore.exitCode, restore.stderr).toBe(0)
    const summary = parseEnvelope<{result: {restores: Array<{runId: string; restoredSet: string; proven: {documents: number}; steps: Array<{kind: string; detail?: string}>}>}}>(restore.stdout).result.restores[0]
    const switchDetail = summary.steps.find((s) => s.kind === 'switch')?.detail ?? ''
    const newBase = /new base backup (\S+)/.exec(switchDetail)?.[1]
    expect(newBase, switchDetail).toMatch(/-visitors-/)

    const listed = await list()
    expect(listed.breaks).toEqual([{service: 'visitors', at: expect.any(String), reason: 'restore-switch', runId: summary.runId, detail: `visitors reads ${summary.restoredSet}`}])
    expect(listed.backups.map((b) => b.id)).toEqual([old.id, newBase])
    // The new base holds what the restored set held at the switch (the proof's documents), not
    // the old set's, which the simulated workload kept writing to until the writes stopped.
    expect(listed.backups[1].documents).toBe(summary.proven.documents)
    // Its dump Job ran against the restored set (labelled so the set's NetworkPolicy admits it).
    const jobs = await kubectl('get', 'jobs', '-n', 'mygate-data', '-l', `mygate.dev/op=dump,mygate.dev/target-set=${summary.restoredSet}`, '-o', 'jsonpath={.items[*].status.succeeded}')
    expect(jobs.stdout.trim()).toBe('1')
    // The window: the old backup's side, then the break, then the new base's side.
    expect(listed.windows[0].segments.map((s) => s.epoch)).toEqual([0, 1])
    expect(listed.windows[0].text).toContain(`[timeline break at ${listed.breaks[0].at} (restore ${summary.runId} switched visitors`)

    const human = await local.cli(['backup', 'list', '--env', 'demo', '--service', 'visitors'])
    expect(human.stdout).toContain(`BREAK in visitors's timeline at ${listed.breaks[0].at} (restore-switch ${summary.runId}: visitors reads ${summary.restoredSet})`)

    // Before the break: still restorable from the old backup.
    const before = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', '--to-time', old.oplogLast, '--no-switch', '--dry-run', '--json'])
    expect(before.exitCode, before.stderr).toBe(0)
    expect(parseEnvelope<{result: {restores: Array<{backupId: string}>}}>(before.stdout).result.restores[0].backupId).toBe(old.id)
    // After the new base with nothing captured since: refused, the break named in the window.
    const now = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z')
    const after = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', '--to-time', now, '--no-switch', '--dry-run'])
    expect(after.exitCode, after.stderr).toBe(2)
    expect(expectOneLineError(after)).toMatch(new RegExp(`^Error: ${new Date(now).toISOString().replace(/\./g, '\\.')} is outside the restorable window: .*\\[timeline break at ${listed.breaks[0].at.replace(/\./g, '\\.')} \\(restore ${summary.runId} switched visitors`))
  }, 300_000)

  test('backup status only reads: a scheduled run waiting in the bucket is counted, not catalogued; backup schedule catalogues it', async () => {
    const store = await LocalObjectStore.open({mygateHome: local.home, bucket: (await list()).store.replace('local://', '')})
    // A scheduled run's upload (backup-cronjobs.ts layout), its bytes a real archive.
    const runKey = 'backups/visitors/scheduled/visitors-db-backup-29412345/archive.gz'
    await store.put(runKey, await readSmallObject(store, `backups/visitors/base/${old.id}/archive.gz`))
    const keysBefore = await keys(store)

    const status = await local.cli(['backup', 'status', '--env', 'demo', '--service', 'visitors', '--json'])
    expect(status.exitCode, status.stderr).toBe(0)
    // (The oplog slice CronJob keeps running here: its runs are counted too, whatever their number.)
    expect(parseEnvelope<{result: {services: Array<{uncatalogued: {backups: number; slices: number}}>}}>(status.stdout).result.services[0].uncatalogued.backups).toBe(1)
    expect((await keys(store)).filter((k) => !k.includes('/scheduled-oplog/'))).toEqual(keysBefore.filter((k) => !k.includes('/scheduled-oplog/')))
    const human = await local.cli(['backup', 'status', '--env', 'demo', '--service', 'visitors'])
    expect(human.stdout).toMatch(/1 scheduled backup run\(s\) and \d+ oplog slice run\(s\) not catalogued yet/)

    const schedule = await local.cli(['backup', 'schedule', '--env', 'demo', '--service', 'visitors', '--json'])
    expect(schedule.exitCode, schedule.stderr).toBe(0)
    expect(parseEnvelope<{result: {ingested: {backups: number}}}>(schedule.stdout).result.ingested.backups).toBe(1)
    expect(await keys(store)).not.toContain(runKey)
    const after = await local.cli(['backup', 'status', '--env', 'demo', '--service', 'visitors', '--json'])
    expect(parseEnvelope<{result: {services: Array<{uncatalogued: {backups: number}; backups: number}>}}>(after.stdout).result.services[0]).toMatchObject({uncatalogued: {backups: 0}, backups: 3})
  }, 120_000)
})
