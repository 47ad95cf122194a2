import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalEnvironment, type LocalHome} from '../helpers/local-home.js'

/**
 * `mygate backup` through the built CLI on a local environment: bad input is refused with one
 * line before any cluster is touched, --dry-run plans a Job per database without running one,
 * and list / describe read the region's bucket (created under $MYGATE_HOME on first use).
 * The dump itself is covered end to end against the local control plane in
 * test/integration/backup/backup-jobs.test.ts.
 */
describe('mygate backup (local environment)', () => {
  let local: LocalHome
  let kubeconfig: string

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
    [['backup', 'schedule', '--env', 'demo', '--set', '0 * * * *'], 2, /^Error: --set and --time-zone change one database's schedule: name it with one --service/],
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
    if (slice.nothingNew !== undefined) expect(slice.nothingNew).toBe(`no writes after ${backup.oplogLast}`)
    else expect(slice.after).toBe(backup.oplogLast)
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
