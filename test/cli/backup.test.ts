import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
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

  beforeAll(async () => {
    ;({local} = await createLocalEnvironment('demo'))
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
})
