import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseEnvelope} from '../helpers/cli.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * A region is lost and stays lost: through the built CLI on a two-region local environment with a
 * base backup of visitors, west goes down (`local fault --region-down`), the forced failover makes
 * east active, and with west STILL down `backup status`, `backup list` (no --region) and `backup
 * restore --dry-run` work in east: they read the newest record from the region that answers
 * instead of failing on west's API (exit 4 before).
 */

describe('backup commands in the surviving region while the lost one is still down (local, two regions)', () => {
  let local: LocalHome
  const env = 'surv'

  beforeAll(async () => {
    local = createLocalHome()
    const created = await local.cli(['env', 'create', env, '--region', 'west', '--secondary-region', 'east'], {timeoutMs: 200_000})
    expect(created.exitCode, created.stderr).toBe(0)
    const base = await local.cli(['backup', 'create', '--env', env, '--service', 'visitors', '--json'], {timeoutMs: 120_000})
    expect(base.exitCode, base.stderr).toBe(0)
    const down = await local.cli(['local', 'fault', '--env', env, '--region-down', 'west'])
    expect(down.exitCode, down.stderr).toBe(0)
    const failover = await local.cli(['failover', '--env', env, '--forced', '--confirm', env, '--json'], {timeoutMs: 240_000})
    expect(failover.exitCode, failover.stderr).toBe(0)
  }, 500_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('status, list and restore --dry-run act in east', async () => {
    const status = await local.cli(['backup', 'status', '--env', env, '--service', 'visitors', '--json'])
    expect(status.exitCode, status.stdout + status.stderr).toBe(0)
    const result = parseEnvelope<{result: {region: string; store: string; services: Array<{lastGoodBackup?: {id: string}}>}}>(status.stdout).result
    expect(result.region).toBe('east')
    expect(result.store).toContain('east')

    const listed = await local.cli(['backup', 'list', '--env', env, '--service', 'visitors', '--json'])
    expect(listed.exitCode, listed.stdout + listed.stderr).toBe(0)
    const list = parseEnvelope<{result: {region: string; backups: Array<{id: string}>}}>(listed.stdout).result
    expect(list.region).toBe('east')
    // The base the forced failover took in east (and the copy of the one taken in west before).
    expect(list.backups.map((b) => b.id)).toContain(result.services[0].lastGoodBackup?.id)

    const restore = await local.cli(['backup', 'restore', '--env', env, '--service', 'visitors', '--no-switch', '--dry-run', '--json'])
    expect(restore.exitCode, restore.stdout + restore.stderr).toBe(0)
    const planned = parseEnvelope<{result: {dryRun: boolean; restores: Array<{service: string; backupId: string}>}}>(restore.stdout).result
    expect(planned).toMatchObject({dryRun: true, restores: [{service: 'visitors', backupId: result.services[0].lastGoodBackup?.id}]})
  }, 120_000)
})
