import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * A forced failover breaks every backed-up database's timeline: through the built CLI on a
 * two-region local environment with a base backup of visitors and the simulated workload writing
 * after it, the forced failover (west down) records the break at its first forced
 * reconfiguration, takes a new base in east (the new active region's bucket), `--to-time` after
 * the break that only the old chain could reach is refused naming the break, and `backup status`
 * is healthy (those two read both regions: west is brought back and `failover resume` fences and
 * rejoins it first). Not here yet: the case whose new base cannot be taken (the warning path is
 * unit-tested in test/unit/backup/timeline-health.test.ts).
 */

interface ListResult {
  store: string
  backups: Array<{id: string; oplogLast: string}>
  breaks: Array<{service: string; at: string; reason: string; runId: string}>
}

describe('mygate failover --forced: the timeline break and the new base backup (local, two regions)', () => {
  let local: LocalHome
  let old: {id: string; oplogLast: string}
  const env = 'ffb'

  beforeAll(async () => {
    local = createLocalHome()
    const created = await local.cli(['env', 'create', env, '--region', 'west', '--secondary-region', 'east'], {timeoutMs: 200_000})
    expect(created.exitCode, created.stderr).toBe(0)
    const base = await local.cli(['backup', 'create', '--env', env, '--service', 'visitors', '--json'], {timeoutMs: 120_000})
    expect(base.exitCode, base.stderr).toBe(0)
    old = parseEnvelope<{result: {backups: Array<{id: string; oplogLast: string}>}}>(base.stdout).result.backups[0]
  }, 330_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('the break at the forced reconfiguration, a new base in east, --to-time refused across the break, status healthy', async () => {
    const down = await local.cli(['local', 'fault', '--env', env, '--region-down', 'west'])
    expect(down.exitCode, down.stderr).toBe(0)
    const failover = await local.cli(['failover', '--env', env, '--forced', '--confirm', env, '--json'], {timeoutMs: 240_000})
    expect(failover.exitCode, failover.stderr).toBe(0)
    const envelope = parseEnvelope<{warnings: string[]; result: {warnings: string[]; run: {id: string; outcome: string; steps: Array<{id: string; kind: string; startedAt: string; detail?: string}>}}}>(failover.stdout)
    expect(envelope.result.run.outcome).toBe('succeeded')
    expect(envelope.warnings).toEqual([])
    expect(envelope.result.warnings).toEqual([])
    const run = envelope.result.run
    const firstForced = run.steps.filter((s) => s.kind === 'force-primary').map((s) => s.startedAt).sort()[0]
    expect(run.steps.find((s) => s.id === 'record-active')?.detail).toMatch(/timeline break marked for 8 database\(s\); 8 new base backup\(s\) taken in east/)

    const listed = await local.cli(['backup', 'list', '--env', env, '--service', 'visitors', '--region', 'east', '--json'])
    expect(listed.exitCode, listed.stdout + listed.stderr).toBe(0)
    const list = parseEnvelope<{result: ListResult}>(listed.stdout).result
    expect(list.store).toContain('east')
    expect(list.breaks).toEqual([expect.objectContaining({service: 'visitors', reason: 'forced-failover', runId: run.id, at: firstForced})])
    const newBases = list.backups.filter((b) => b.id !== old.id)
    expect(newBases).toHaveLength(1)

    // The restore and status commands read both regions: west comes back and is fenced and rejoined first.
    const back = await local.cli(['local', 'fault', '--env', env, '--region-down', 'west', '--clear'])
    expect(back.exitCode, back.stderr).toBe(0)
    const resumed = await local.cli(['failover', 'resume', '--env', env, '--json'], {timeoutMs: 180_000})
    expect(resumed.exitCode, resumed.stderr).toBe(0)

    // After the break, with nothing captured since the new base: only the old chain could reach it, refused naming the break.
    const now = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z')
    const across = await local.cli(['backup', 'restore', '--env', env, '--service', 'visitors', '--to-time', now, '--no-switch', '--dry-run'])
    expect(across.exitCode, across.stdout + across.stderr).toBe(2)
    expect(expectOneLineError(across)).toContain(`[timeline break at ${firstForced} (forced failover ${run.id}`)

    const status = await local.cli(['backup', 'status', '--env', env, '--service', 'visitors', '--exit-code', '--json'])
    expect(status.exitCode, status.stdout + status.stderr).toBe(0)
    const visitors = parseEnvelope<{result: {services: Array<{verdict: string; breaksWithoutBase?: unknown[]; lastGoodBackup?: {id: string}}>}}>(status.stdout).result.services[0]
    expect(visitors).toMatchObject({verdict: 'healthy', lastGoodBackup: {id: newBases[0].id}})
    expect(visitors.breaksWithoutBase).toBeUndefined()
  }, 300_000)
})
