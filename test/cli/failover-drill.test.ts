import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * `mygate failover drill` end to end on the local provider (two regions, dev tier, all services),
 * through the built CLI and checked with real kubectl: the active region goes down, the drill
 * fails over by force, brings the region back, fences and resyncs it, fails back, and judges every
 * service's RTO and RPO per phase. Afterwards the original region serves at its full scale with
 * every PRIMARY, the fence is gone, and the two runs are in the history.
 *
 * One drill here, with --json. The human report of a whole drill is checked on the README
 * quickstart's own drill (readme-quickstart.test.ts: first line, a met row per phase for the
 * gateway, the outage line, the Result line), and its layout in test/unit/failover/drill-report.test.ts.
 */
describe('mygate failover drill (local provider)', () => {
  let local: LocalHome
  let kubeconfig: string
  const env = 'fd'
  const kubectl = async (region: string, ...args: string[]) => {
    const run = await runKubectl(['--context', `mygate-local-${env}-${region}`, ...args], {kubeconfig})
    expect(run.exitCode, run.stderr).toBe(0)
    return run.stdout
  }
  const replicas = async (region: string) =>
    Object.fromEntries(
      (JSON.parse(await kubectl(region, 'get', 'deployments', '-n', 'mygate', '-o', 'json')) as {items: Array<{metadata: {name: string}; spec: {replicas: number}; status: {readyReplicas?: number}}>}).items.map((d) => [
        d.metadata.name,
        `${d.status.readyReplicas ?? 0}/${d.spec.replicas}`,
      ]),
    )

  beforeAll(async () => {
    local = createLocalHome()
    const created = await local.cli(['env', 'create', env, '--region', 'west', '--secondary-region', 'east'], {timeoutMs: 200_000})
    expect(created.exitCode, created.stderr).toBe(0)
    kubeconfig = `${local.home}/kubeconfig/${env}.yaml`
  }, 240_000)

  afterAll(async () => {
    await local?.cleanup()
  })

  test('outage, forced failover, return, fence and resync, failback: measured against every service, west serving again', async () => {
    const westBefore = await replicas('west')
    const catalog = parseEnvelope<{result: Array<{name: string}>}>((await local.cli(['services', 'list', '--json'])).stdout).result.map((s) => s.name)
    const run = await local.cli(['failover', 'drill', '--env', env, '--json'], {timeoutMs: 280_000})
    expect(run.exitCode, run.stderr).toBe(0)
    const {result} = parseEnvelope<{
      result: {
        kind: string
        from: string
        to: string
        steps: Array<{step: string; durationMs: number}>
        phases: Array<{phase: string; rtoMs: number}>
        services: Array<{service: string; phase: string; rtoMs: number; rtoTargetMs: number; rpoMs: number; rpoTargetMs: number; met: boolean}>
        verdict: string
        runs: string[]
        fencesApplied: string[]
        rollbacks: Array<{member: string}>
      }
    }>(run.stdout)
    expect(result).toMatchObject({kind: 'outage', from: 'west', to: 'east', verdict: 'met', fencesApplied: ['west']})
    expect(result.steps.map((s) => s.step)).toEqual(['region-down', 'forced-failover', 'region-back', 'fence-and-resync', 'failback'])
    expect(result.phases.map((p) => p.phase)).toEqual(['outage', 'failback'])
    // The outage's RTO (region down to the gateway verified in east) within the 30 s.
    expect(result.phases[0].rtoMs).toBeGreaterThan(0)
    expect(result.phases[0].rtoMs).toBeLessThan(30_000)
    // Every service of the catalog is judged in both phases, against its own descriptor's targets.
    expect(result.services.filter((s) => s.phase === 'outage').map((s) => s.service).sort()).toEqual([...catalog].sort())
    const gateway = result.services.find((s) => s.service === 'gateway' && s.phase === 'outage')
    expect(gateway).toMatchObject({rtoTargetMs: 5 * 60_000, rpoTargetMs: 0, rpoMs: 0, met: true})
    for (const r of result.rollbacks) expect(r.member).toMatch(/-west-\d+\./)

    // West serves again at the scale it had; the fence is gone; every PRIMARY is back in west.
    expect(await replicas('west')).toEqual(westBefore)
    expect(await kubectl('west', 'get', 'networkpolicy', '-n', 'mygate', '-o', 'name')).not.toContain('mygate-failover-fence')
    const status = parseEnvelope<{result: {databases: Array<{primary: string | null}>}}>((await local.cli(['db', 'status', '--env', env, '--json'])).stdout).result
    expect(status.databases.length).toBe(8)
    for (const database of status.databases) expect(database.primary).toMatch(/-west-\d+\./)

    const history = parseEnvelope<{result: {runs: Array<{id: string; mode: string; from: string; to: string; outcome: string}>}}>((await local.cli(['failover', 'history', '--env', env, '--json'])).stdout).result
    expect(history.runs.map((r) => `${r.id} ${r.mode} ${r.from}->${r.to} ${r.outcome}`)).toEqual([
      `${result.runs[0]} forced west->east succeeded`,
      `${result.runs[1]} planned east->west succeeded`,
    ])

    const human = await local.cli(['failover', 'history', '--env', env])
    expect(human.stdout).toContain('forced west -> east succeeded')
  }, 300_000)
})
