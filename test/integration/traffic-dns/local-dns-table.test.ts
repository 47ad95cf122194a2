import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, test} from 'vitest'

import {NotFoundError, UsageError} from '../../../src/errors.js'
import {runDaemon, type RunningDaemon} from '../../../src/local-cluster/daemon/daemon.js'
import {ensureCluster, getDnsRecords, setClusterDown} from '../../../src/local-control/control-client.js'
import {openTrafficFor, type EnvironmentTraffic} from '../../../src/traffic-dns/environment-traffic.js'
import {testEnvironment} from '../../helpers/builders.js'

/**
 * The local traffic layer through the real daemon's control API. Assertions read the daemon's
 * own answer (GET /dns/NAME, what a resolver of the local table gets), not our describe().
 */
const spec = testEnvironment({name: 'demo', regions: {primary: 'r1', secondary: 'r2'}})
const NAME = 'demo.mygate.local'

let home: string
let daemon: RunningDaemon | undefined
let traffic: EnvironmentTraffic

const answer = async () => {
  const found = await getDnsRecords(home, NAME)
  if (!found) throw new Error(`no records for ${NAME}`)
  return found
}
const roles = async () => Object.fromEntries((await answer()).regions.map((r) => [r.region, `${r.role}${r.withdrawn ? ' withdrawn' : ''}`]))

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'mygate-local-dns-'))
  daemon = await runDaemon({home, timing: {podStartupMs: 10, readinessDelayMs: 10}})
  await ensureCluster(home, 'demo-r1', 'r1', 'demo')
  await ensureCluster(home, 'demo-r2', 'r2', 'demo')
  traffic = await openTrafficFor({spec, activeRegion: 'r1'}, {home})
})

afterEach(async () => {
  await daemon?.stop()
  daemon = undefined
  rmSync(home, {recursive: true, force: true})
})

describe('the local DNS table behind EnvironmentTraffic', () => {
  test('ensureRecords: r1 PRIMARY with its entry point; a region outage moves the answer to r2 by health alone', async () => {
    await traffic.ensureRecords([{region: 'r1', endpoint: 'mygate-gateway.demo-r1.lb.mygate.local'}, {region: 'r2', endpoint: 'mygate-gateway.demo-r2.lb.mygate.local'}])
    expect(traffic.name).toBe(NAME)
    expect((await answer()).active).toEqual(['r1'])
    expect((await answer()).regions.find((r) => r.region === 'r2')?.endpoint).toBe('mygate-gateway.demo-r2.lb.mygate.local')

    await setClusterDown(home, 'demo-r1', true)
    const failed = await answer()
    expect(failed.active).toEqual(['r2'])
    expect(failed.regions.find((r) => r.region === 'r1')?.healthy).toBe(false)
    expect(await roles()).toEqual({r1: 'primary', r2: 'secondary'})
    expect((await traffic.healthChecksFor('r1'))[0]).toMatchObject({region: 'r1', healthy: false})

    await setClusterDown(home, 'demo-r1', false)
    expect((await answer()).active).toEqual(['r1'])
  })

  test('switchActive swaps the roles (idempotently); withdraw fences; restore brings the standby back', async () => {
    await traffic.ensureRecords([])
    await traffic.switchActive('r2')
    await traffic.switchActive('r2')
    expect(await roles()).toEqual({r1: 'secondary', r2: 'primary'})
    expect((await answer()).active).toEqual(['r2'])

    await traffic.withdraw('r2')
    expect(await roles()).toEqual({r1: 'primary', r2: 'secondary withdrawn'})
    // Fenced means fenced: even with r1 down, the withdrawn r2 is not answered.
    await setClusterDown(home, 'demo-r1', true)
    expect((await answer()).active).toEqual(['r1'])
    await setClusterDown(home, 'demo-r1', false)

    await traffic.restore('r2')
    expect(await roles()).toEqual({r1: 'primary', r2: 'secondary'})
    await expect(traffic.switchActive('r3')).rejects.toThrow(UsageError)
  })

  test('a re-run of ensureRecords keeps the active region and endpoints; records survive a daemon restart; removeRecords deletes them', async () => {
    await traffic.ensureRecords([{region: 'r1', endpoint: 'a.example'}, {region: 'r2', endpoint: 'b.example'}])
    await traffic.switchActive('r2')
    await traffic.ensureRecords([{region: 'r1'}])
    expect(await roles()).toEqual({r1: 'secondary', r2: 'primary'})
    expect((await answer()).regions.map((r) => r.endpoint)).toEqual(['a.example', 'b.example'])

    await daemon!.stop()
    daemon = await runDaemon({home, timing: {podStartupMs: 10, readinessDelayMs: 10}})
    expect((await answer()).active).toEqual(['r2'])

    expect(await traffic.removeRecords()).toEqual([`local DNS records for ${NAME}`])
    expect(await getDnsRecords(home, NAME)).toBeUndefined()
    expect(await traffic.removeRecords()).toEqual([])
    await expect(traffic.describe()).rejects.toThrow(NotFoundError)
  })

  test('active-active: weighted records; switchActive zeroes the other weight, withdraw takes a region out', async () => {
    const weighted = await openTrafficFor({spec: {...spec, drMode: 'active-active'}, activeRegion: 'r1'}, {home})
    await weighted.ensureRecords([])
    expect((await answer()).mode).toBe('weighted')
    expect((await answer()).active).toEqual(['r1', 'r2'])
    await weighted.withdraw('r1')
    expect((await answer()).active).toEqual(['r2'])
    expect((await answer()).regions.map((r) => r.weight)).toEqual([0, 100])
    await weighted.restore('r1')
    expect((await answer()).active).toEqual(['r1', 'r2'])
    await weighted.switchActive('r1')
    expect((await answer()).regions.map((r) => r.weight)).toEqual([100, 0])
    expect((await answer()).active).toEqual(['r1'])
  })
})
