import {gunzipSync, gzipSync} from 'node:zlib'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {putBaseBackup} from '../../src/backup/catalog/catalog-store.js'
import {LocalObjectStore} from '../../src/backup/storage/local-store.js'
import {readSmallObject} from '../../src/backup/storage/object-store.js'
import {testBackup} from '../unit/backup/catalog-builders.js'
import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalEnvironment, type LocalHome} from '../helpers/local-home.js'

/**
 * `mygate backup` through the built CLI on a local environment: bad input is refused with one
 * line before any cluster is touched, --dry-run plans a Job per database without running one,
 * and list / describe read the region's bucket (created under $MYGATE_HOME on first use).
 * The dump itself is covered end to end against the local control plane in
 * test/integration/backup/backup-jobs.test.ts. Then, in order on one environment: verify restores
 * a real backup into a scratch namespace and passes; a corrupted archive fails naming the
 * collection and the checksums; status reads both verdicts; prune applies visitors' retention to
 * backups planted 100 days back.
 */
/** Orders oplog timestamps `SECONDS:ORDINAL`. */
const compareTimestamps = (a: string, b: string): number => {
  const [as, ao] = a.split(':').map(Number)
  const [bs, bo] = b.split(':').map(Number)
  return as - bs || ao - bo
}

describe('mygate backup (local environment)', () => {
  let local: LocalHome
  let kubeconfig: string
  const kubectl = (...args: string[]) => runKubectl(args, {kubeconfig})
  const json = async <T>(args: string[]): Promise<T> => {
    const run = await local.cli([...args, '--json'])
    expect(run.exitCode, run.stderr + run.stdout).toBe(0)
    return parseEnvelope<{result: T}>(run.stdout).result
  }
  const backupOfVisitors = async (): Promise<string> => (await json<{backups: Array<{id: string}>}>(['backup', 'create', '--env', 'demo', '--service', 'visitors'])).backups[0].id
  const store = async () => LocalObjectStore.open({mygateHome: local.home, bucket: (await json<{store: string}>(['backup', 'list', '--env', 'demo'])).store.replace('local://', '')})
  const scratchNamespaces = async () => (await kubectl('get', 'namespaces', '-o', 'name')).stdout.split('\n').filter((n) => n.includes('mygate-verify-'))
  let good: string
  let corrupted: string

  beforeAll(async () => {
    ;({local, kubeconfig} = await createLocalEnvironment('demo'))
  }, 120_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test.each([
    [['backup', 'create', '--env', 'demo', '--service', 'gateway'], 2, /^Error: gateway has no database to back up \(services with a database: .*visitors/],
    [['backup', 'create', '--env', 'demo', '--service', 'redis'], 2, /^Error: redis is not backed up: its descriptor disables backups/],
    [['backup', 'create', '--env', 'demo', '--service', 'nope'], 2, /^Error: unknown service "nope"/],
    [['backup', 'create', '--env', 'ghost'], 3, /^Error: environment "ghost" not found/],
    [['backup', 'describe', '20261203T070000Z-visitors-000000', '--env', 'demo'], 3, /^Error: backup 20261203T070000Z-visitors-000000 does not exist in local:\/\/mygate-demo-.*-backups/],
    [['backup', 'list', '--env', 'demo', '--region', 'mars'], 2, /^Error: environment demo has no region "mars"/],
    // Before any backup exists.
    [['backup', 'verify', '--env', 'demo', '--latest'], 3, /^Error: there are no backups in local:\/\/mygate-demo-.*-backups to verify \(take them with `mygate backup create --env demo`\)/],
    [['backup', 'verify', '--env', 'demo', '--latest', '--service', 'visitors'], 3, /^Error: visitors has no backups in local:\/\/mygate-demo-.*-backups to verify/],
    [['backup', 'verify', '--env', 'demo', '20261203T070000Z-visitors-000000'], 3, /^Error: backup 20261203T070000Z-visitors-000000 does not exist in local:\/\/mygate-demo-/],
    [['backup', 'verify', '--env', 'demo', '--latest', '--service', 'gateway'], 2, /^Error: gateway has no database to back up/],
    [['backup', 'verify', '--env', 'demo'], 2, /^Error: which backup\? give its id or --latest/],
    [['backup', 'verify', '--env', 'demo', 'X', '--latest'], 2, /^Error: give a backup id or --latest, not both/],
    [['backup', 'status', '--env', 'demo', '--service', 'gateway'], 2, /^Error: gateway has no database to back up/],
    [['backup', 'prune', '--env', 'demo', '--service', 'redis'], 2, /^Error: redis is not backed up/],
    [['backup', 'schedule', '--env', 'demo', '--set', '0 * * * *'], 2, /^Error: --set, --time-zone and --verify-set change one database's schedule: name it with one --service/],
    [['backup', 'schedule', '--env', 'demo', '--service', 'visitors', '--set', 'hourly'], 2, /^Error: --set "hourly" is not a five-field cron schedule/],
    [['backup', 'schedule', '--env', 'demo', '--service', 'visitors', '--time-zone', 'Mars/Olympus'], 2, /^Error: --time-zone "Mars\/Olympus" is not an IANA time zone/],
    [['backup', 'create', '--env', 'demo', '--service', 'visitors', '--oplog-slice'], 2, /^Error: visitors has no base backup in local:\/\/mygate-demo-.*-backups: an oplog slice extends one \(take one first: `mygate backup create --env demo --service visitors`\)$/],
  ])('%j exits %i with one line', async (args, code, message) => {
    const result = await local.cli(args)
    expect(result.exitCode, result.stderr).toBe(code)
    expect(expectOneLineError(result)).toMatch(message)
  })

  test('--dry-run plans one dump Job per database with backups enabled and runs none', async () => {
    const result = await local.cli(['backup', 'create', '--env', 'demo', '--dry-run', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const {result: plan} = parseEnvelope<{result: {dryRun: boolean; plan: Array<{service: string; database: string}>; backups: unknown[]}}>(result.stdout)
    expect(plan.dryRun).toBe(true)
    // Every bundled database descriptor enables backups.
    expect(plan.plan.map((p) => p.database)).toEqual(['amenities-db', 'auth-db', 'billing-db', 'maintenance-db', 'notifications-db', 'reports-db', 'users-db', 'visitors-db'])
    expect(plan.plan.find((p) => p.database === 'visitors-db')?.service).toBe('visitors')
    expect(plan.backups).toEqual([])
    const human = await local.cli(['backup', 'create', '--env', 'demo', '--service', 'visitors', '--dry-run'])
    expect(human.stdout.trim().split('\n').at(-1)).toBe('Result: DRY RUN — 1 database of demo; nothing was run.')
    const listed = await local.cli(['backup', 'list', '--env', 'demo', '--json'])
    expect(parseEnvelope<{result: {store: string; backups: unknown[]}}>(listed.stdout).result).toMatchObject({store: expect.stringMatching(/^local:\/\/mygate-demo-.+-backups$/), backups: []})
  })

  test('verify --latest restores the newest backup into a scratch namespace, matches every collection, records the verdict and cleans up', async () => {
    // Wait for the simulated traffic to have written visitors documents: a backup with data.
    const deadline = Date.now() + 60_000
    for (;;) {
      const status = await json<{databases: Array<{collections: Array<{count: number}>}>}>(['db', 'status', '--env', 'demo', '--service', 'visitors'])
      if (status.databases[0].collections.some((c) => c.count > 0)) break
      if (Date.now() > deadline) throw new Error('visitors-db never got documents')
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    good = await backupOfVisitors()
    const run = await local.cli(['backup', 'verify', '--env', 'demo', '--latest', '--service', 'visitors'])
    expect(run.exitCode, run.stderr).toBe(0)
    for (const phase of ['namespace', 'provision', 'elect', 'restore', 'measure', 'compare', 'record', 'cleanup']) expect(run.stderr).toContain(`[${phase}] `)
    expect(run.stdout).toMatch(new RegExp(`^${good}  visitors-db  PASSED  restore [\\d.]+s in mygate-verify-[0-9a-f]{6}$`, 'm'))
    expect(run.stdout).toMatch(/^ {2}visitors\.\w+: match {2}\d+ documents/m)
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^Result: SUCCESS — 1 backup of demo restored and matched the catalog; verdicts recorded in local:\/\/mygate-demo-/)
    expect(await scratchNamespaces()).toEqual([])

    // Again by id, as JSON: the collections and the archive checksum as compared.
    const result = await json<{passed: boolean; verifications: Array<{id: string; verdict: string; restoreSeconds: number; archive: {sha256: string; storedSha256: string}; collections: Array<{ns: string; match: boolean; expected: {documents: number}}>}>}>(['backup', 'verify', good, '--env', 'demo'])
    expect(result.passed).toBe(true)
    const [v] = result.verifications
    expect(v).toMatchObject({id: good, verdict: 'passed'})
    expect(v.restoreSeconds).toBeGreaterThan(0)
    expect(v.archive.storedSha256).toBe(v.archive.sha256)
    expect(v.collections.length).toBeGreaterThan(0)
    expect(v.collections.every((c) => c.match && c.ns.startsWith('visitors.'))).toBe(true)
    expect(v.collections.reduce((n, c) => n + c.expected.documents, 0)).toBeGreaterThan(0)

    // The verdicts are in the bucket: list and describe read them back from there.
    const listed = await json<{backups: Array<{id: string; verified: string}>}>(['backup', 'list', '--env', 'demo', '--service', 'visitors'])
    expect(listed.backups.find((b) => b.id === good)?.verified).toBe('passed')
    const described = await local.cli(['backup', 'describe', good, '--env', 'demo'])
    expect(described.stdout.match(/^Verified: +passed at \S+, restore [\d.]+s$/gm)).toHaveLength(2)
    expect(await scratchNamespaces()).toEqual([])
  }, 240_000)

  test('a corrupted archive fails the verification naming the collection and the checksums; the failed verdict is recorded', async () => {
    corrupted = await backupOfVisitors()
    // The local store is encrypted at rest: corrupt through its API (decrypt, flip, re-put).
    const bucket = await store()
    const key = `backups/visitors/base/${corrupted}/archive.gz`
    const raw = gunzipSync(await readSmallObject(bucket, key))
    // A byte inside the first document of the first collection.
    raw[raw.indexOf(Buffer.from('_id')) + 8] ^= 0xff
    await bucket.put(key, gzipSync(raw))
    const run = await local.cli(['backup', 'verify', corrupted, '--env', 'demo'])
    expect(run.exitCode, run.stderr).toBe(7)
    // The verdict in full on stdout, then one error line on stderr (after the phases), no stack.
    const error = run.stderr.trimEnd().split('\n').at(-1) as string
    expect(run.stderr).not.toMatch(/^\s+at /m)
    expect(error).toMatch(new RegExp(`^Error: verification failed: ${corrupted}: archive checksum [0-9a-f]{64} differs from the catalog's [0-9a-f]{64}; the restore failed: .*visitors\\.\\w+.*(CRC|checksum)`, 'i'))
    expect(run.stdout).toContain(`${corrupted}  visitors-db  FAILED`)
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^Result: FAILED — 1 of 1 backup of demo did not match/)
    expect(await scratchNamespaces()).toEqual([])
    const listed = await json<{backups: Array<{id: string; verified: string}>}>(['backup', 'list', '--env', 'demo', '--service', 'visitors'])
    expect(Object.fromEntries(listed.backups.map((b) => [b.id, b.verified]))).toEqual({[good]: 'passed', [corrupted]: 'failed'})
  }, 240_000)

  test('status: the last good backup within the RPO, the failed verification named; --exit-code 9 when not healthy', async () => {
    const status = await json<{verdict: string; services: Array<{database: string; verdict: string; lastGoodBackup: {id: string}; lastVerification: {id: string; verdict: string}; problems: string[]}>}>(['backup', 'status', '--env', 'demo', '--service', 'visitors'])
    const [visitors] = status.services
    // The corrupted backup is not good: the last good one is the verified one before it.
    expect(visitors).toMatchObject({database: 'visitors-db', verdict: 'degraded', lastGoodBackup: {id: good}, lastVerification: {id: corrupted, verdict: 'failed'}})
    expect(visitors.problems.join('\n')).toContain(`the last verification (${corrupted}) failed`)
    const flagged = await local.cli(['backup', 'status', '--env', 'demo', '--service', 'visitors', '--exit-code'])
    expect(flagged.exitCode, flagged.stderr).toBe(9)
    expect(flagged.stdout).toMatch(/^! visitors-db: degraded; last good \S+ \(.* old, RPO 5m\); verified failed at /m)
    expect(flagged.stdout.trim().split('\n').at(-1)).toBe('Result: DEGRADED — 1 of 1 databases need attention: visitors-db.')
    // Every database: the ones never backed up are failing.
    const all = await local.cli(['backup', 'status', '--env', 'demo', '--exit-code', '--json'])
    expect(all.exitCode).toBe(9)
    const everything = parseEnvelope<{ok: boolean; result: {verdict: string; services: Array<{database: string; verdict: string; problems: string[]}>}}>(all.stdout)
    expect(everything.ok).toBe(true)
    expect(everything.result.verdict).toBe('failing')
    // (Once the environment is older than two slice intervals, "no oplog slices" joins it.)
    expect(everything.result.services.find((s) => s.database === 'billing-db')).toMatchObject({verdict: 'failing', problems: expect.arrayContaining(['no good backup'])})
  }, 60_000)

  test('prune: the retention plan on --dry-run, then entry-first deletion of what it does not keep', async () => {
    const bucket = await store()
    // Two backups on one day 100 days back (beyond 30d, 7 daily, 4 weekly): monthly keeps the newer.
    // One day in the descriptor's time zone (Asia/Kolkata, UTC+5:30): 06:00 and 07:00 UTC, never
    // across its midnight (a time taken from the clock was, when the test ran near 18:30 UTC).
    const day = Math.floor(Date.now() / 86_400_000 - 100) * 86_400 + 6 * 3600
    const planted = [day, day + 3600].map((seconds) => testBackup({id: `old-${seconds}`, service: 'visitors', database: 'visitors-db', last: `${seconds}:1`}))
    for (const b of planted) {
      const {archive: _a, encryptionKeyId: _k, ...draft} = b
      await putBaseBackup(bucket, draft, Buffer.from('not an archive'))
    }
    const [older, newer] = planted
    const dry = await json<{dryRun: boolean; plan: Array<{database: string; keep: Array<{id: string; reasons: string[]}>; delete: Array<{id: string}>}>; deleted: {backups: string[]}}>(['backup', 'prune', '--env', 'demo', '--service', 'visitors', '--dry-run'])
    const [plan] = dry.plan
    expect(plan.delete.map((d) => d.id)).toEqual([older.id])
    expect(Object.fromEntries(plan.keep.map((k) => [k.id, k.reasons.includes('newest') ? 'newest' : k.reasons.includes('last verified') ? 'last verified' : k.reasons.some((r) => r.startsWith('monthly')) ? 'monthly' : 'other'])))
      .toEqual({[corrupted]: 'newest', [good]: 'last verified', [newer.id]: 'monthly'})
    expect(dry.deleted.backups).toEqual([])
    expect(await bucket.head(`backups/visitors/base/${older.id}/entry.json`)).toMatchObject({key: `backups/visitors/base/${older.id}/entry.json`})
    const human = await local.cli(['backup', 'prune', '--env', 'demo', '--service', 'visitors', '--dry-run'])
    expect(human.stdout.trim().split('\n').at(-1)).toBe('Result: DRY RUN — would delete 1 backup and 0 oplog slices of demo; nothing was deleted.')

    const pruned = await local.cli(['backup', 'prune', '--env', 'demo', '--service', 'visitors'])
    expect(pruned.exitCode, pruned.stderr).toBe(0)
    expect(pruned.stdout).toContain(`deleted ${older.id}  visitors-db`)
    expect(await bucket.head(`backups/visitors/base/${older.id}/entry.json`)).toBeUndefined()
    expect(await bucket.head(`backups/visitors/base/${older.id}/archive.gz`)).toBeUndefined()
    const listed = await json<{backups: Array<{id: string}>}>(['backup', 'list', '--env', 'demo', '--service', 'visitors'])
    expect(listed.backups.map((b) => b.id).sort()).toEqual([good, corrupted, newer.id].sort())
    // Nothing more to prune: a second run deletes nothing.
    expect((await json<{deleted: {backups: string[]}}>(['backup', 'prune', '--env', 'demo', '--service', 'visitors'])).deleted.backups).toEqual([])
  }, 120_000)

  test('--oplog-slice after a base backup: the slice starts at the backup\'s consistent point', async () => {
    const dry = await local.cli(['backup', 'create', '--env', 'demo', '--service', 'visitors', '--oplog-slice', '--dry-run'])
    expect(dry.stdout).toMatch(/would take an oplog slice of visitors-db \(visitors\) with Job timestamp-visitors-xxxxxx-slice into mygate-demo-/)
    const base = await local.cli(['backup', 'create', '--env', 'demo', '--service', 'visitors', '--json'])
    expect(base.exitCode, base.stderr).toBe(0)
    const [backup] = parseEnvelope<{result: {backups: Array<{oplogLast: string}>}}>(base.stdout).result.backups
    const sliced = await local.cli(['backup', 'create', '--env', 'demo', '--service', 'visitors', '--oplog-slice', '--json'])
    expect(sliced.exitCode, sliced.stderr).toBe(0)
    const {result} = parseEnvelope<{result: {kind: string; slices: Array<{after?: string; last?: string; nothingNew?: string}>}}>(sliced.stdout)
    expect(result.kind).toBe('oplog-slice')
    expect(result.slices).toHaveLength(1)
    const [slice] = result.slices
    // Slices chain from the newest slice when there is one (src/backup/pitr/slice-range.ts:
    // nextSliceStart), else from the base's consistent point. The slice CronJob runs every 2
    // minutes and `backup create` catalogues its runs first, so a scheduled slice may precede.
    const listed = await local.cli(['backup', 'list', '--env', 'demo', '--service', 'visitors', '--json'])
    expect(listed.exitCode, listed.stderr).toBe(0)
    const slices = parseEnvelope<{result: {slices: Array<{id: string; after: string; last: string}>}}>(listed.stdout).result.slices
    const earlier = slices.filter((s) => s.last !== slice.last).map((s) => s.last).sort(compareTimestamps).at(-1)
    const start = earlier ?? backup.oplogLast
    if (slice.nothingNew !== undefined) expect(slice.nothingNew).toBe(`no writes after ${start}`)
    else expect(slice.after).toBe(start)
    // Either way the chain reaches the base: the slice starts at or before its consistent point.
    if (slice.after !== undefined) expect(compareTimestamps(slice.after, backup.oplogLast)).toBeLessThanOrEqual(0)
  }, 180_000)

  test('env create put the backup CronJobs in the active region; backup schedule shows them and --set changes one', async () => {
    const cronJobs = async () => {
      const listed = await runKubectl(['get', 'cronjobs', '-n', 'mygate-data', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.schedule}@{.spec.timeZone}{"\\n"}{end}'], {kubeconfig})
      expect(listed.exitCode, listed.stderr).toBe(0)
      return listed.stdout.trim().split('\n').sort()
    }
    const before = await cronJobs()
    expect(before).toContain('visitors-db-backup=30 */6 * * *@Asia/Kolkata')
    expect(before).toContain('visitors-db-oplog-slice=*/2 * * * *@')
    expect(before.filter((line) => line.includes('-oplog-slice='))).toHaveLength(8)
    const shown = await local.cli(['backup', 'schedule', '--env', 'demo', '--json'])
    expect(shown.exitCode, shown.stderr).toBe(0)
    const {result} = parseEnvelope<{result: {changed: boolean; schedules: Array<{database: string; base?: {schedule: string; timeZone?: string}; slices: {intervalMinutes: number}}>}}>(shown.stdout)
    expect(result.changed).toBe(false)
    expect(result.schedules.find((s) => s.database === 'visitors-db')).toMatchObject({base: {schedule: '30 */6 * * *', timeZone: 'Asia/Kolkata'}, slices: {intervalMinutes: 2}})
    const set = await local.cli(['backup', 'schedule', '--env', 'demo', '--service', 'visitors', '--set', '0 */4 * * *', '--time-zone', 'Europe/Paris'])
    expect(set.exitCode, set.stderr).toBe(0)
    expect(set.stdout).toMatch(/visitors-db\s+0 \*\/4 \* \* \* \(Europe\/Paris\) \*/)
    expect(set.stdout.trim().split('\n').at(-1)).toMatch(/^Result: CHANGED — 1 database schedule in region /)
    expect(await cronJobs()).toContain('visitors-db-backup=0 */4 * * *@Europe/Paris')
  }, 120_000)
})
