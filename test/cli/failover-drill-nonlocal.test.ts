import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {ensureCluster} from '../../src/local-control/control-client.js'
import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * `failover drill` off the local provider is a real planned switchover, so it is refused without
 * `--confirm NAME`. The non-local environment here is a `kubeconfig`-provider one, on two clusters
 * of the local control plane reached only through kubeconfig contexts (as kind clusters would be):
 * without --confirm (or with the wrong name) one line, exit 2, nothing switched; with --confirm it
 * runs a planned switchover, checked with real kubectl and `db status`.
 */
describe('mygate failover drill on a non-local environment (provider kubeconfig)', () => {
  let local: LocalHome
  let userKubeconfig: string
  const env = 'ext'

  const activeRegion = async () => {
    const run = await local.cli(['failover', 'status', '--env', env, '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    return parseEnvelope<{result: {activeRegion: string}}>(run.stdout).result.activeRegion
  }
  const runs = async () => {
    const run = await local.cli(['failover', 'history', '--env', env, '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    return parseEnvelope<{result: {runs: Array<{mode: string; from: string; to: string; outcome: string}>}}>(run.stdout).result.runs
  }
  const primaryRegions = async () => {
    const run = await local.cli(['db', 'status', '--env', env, '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const {databases} = parseEnvelope<{result: {databases: Array<{primaryRegion: string | null}>}}>(run.stdout).result
    expect(databases).toHaveLength(8)
    return [...new Set(databases.map((d) => d.primaryRegion))]
  }
  const recordIn = async (region: string) => {
    const run = await runKubectl(['--context', `mygate-local-${env}-${region}`, 'get', 'configmap', 'mygate-environment', '-n', 'mygate-system', '-o', 'jsonpath={.data.environment\\.json}'], {kubeconfig: userKubeconfig})
    expect(run.exitCode, run.stderr).toBe(0)
    return JSON.parse(run.stdout) as {provider: string; activeRegion: string}
  }

  beforeAll(async () => {
    local = createLocalHome()
    const started = await local.cli(['local', 'start'])
    expect(started.exitCode, started.stderr).toBe(0)
    // Two bare clusters of one cluster set (their members reach each other), as a user's own would
    // be, each with its own Pod range. mygate cannot know a user's clusters' ranges, so (as with any
    // multi-cluster network and an enforcing network plugin) the user admits the other cluster's
    // Pods to the data namespace by hand (README "Member names across regions"); the local control
    // plane enforces NetworkPolicies across clusters, so without it the members never sync.
    const ranges = {west: '10.246.0.0/16', east: '10.247.0.0/16'}
    await ensureCluster(local.home, `${env}-west`, 'west', env, ranges.west)
    await ensureCluster(local.home, `${env}-east`, 'east', env, ranges.east)
    userKubeconfig = join(local.home, 'local', 'kubeconfig.yaml')
    for (const [region, peer] of [['west', ranges.east], ['east', ranges.west]] as const) {
      const context = ['--context', `mygate-local-${env}-${region}`]
      const ns = await runKubectl([...context, 'create', 'namespace', 'mygate-data'], {kubeconfig: userKubeconfig})
      expect(ns.exitCode, ns.stderr).toBe(0)
      const policy = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {name: 'peer-cluster-members', namespace: 'mygate-data'},
        spec: {
          podSelector: {},
          policyTypes: ['Ingress', 'Egress'],
          ingress: [{from: [{ipBlock: {cidr: peer}}], ports: [{port: 27017, protocol: 'TCP'}, {port: 6379, protocol: 'TCP'}]}],
          egress: [{to: [{ipBlock: {cidr: peer}}], ports: [{port: 27017, protocol: 'TCP'}, {port: 6379, protocol: 'TCP'}]}],
        },
      }
      const applied = await runKubectl([...context, 'apply', '-f', '-'], {kubeconfig: userKubeconfig, input: JSON.stringify(policy)})
      expect(applied.exitCode, applied.stderr).toBe(0)
    }
    const created = await local.cli(
      ['env', 'create', env, '--provider', 'kubeconfig', '--context', `mygate-local-${env}-west,mygate-local-${env}-east`, '--region', 'west', '--secondary-region', 'east'],
      {env: {KUBECONFIG: userKubeconfig}, timeoutMs: 200_000},
    )
    expect(created.exitCode, created.stderr).toBe(0)
  }, 240_000)

  afterAll(async () => {
    await local?.cleanup()
  })

  test.each([
    {args: [], message: `a drill of "${env}" on provider kubeconfig is a real planned switchover, and needs confirmation`, hint: `--confirm ${env}`},
    {args: ['--confirm', 'prod'], message: `--confirm "prod" does not match "${env}"`, hint: `--confirm ${env}`},
  ])('drill $args: one line, exit 2, nothing switched', async ({args, message, hint}) => {
    const refused = await local.cli(['failover', 'drill', '--env', env, ...args])
    expect(refused.exitCode).toBe(2)
    const line = expectOneLineError(refused)
    expect(line).toContain(message)
    expect(line).toContain(hint)
    expect(await runs()).toEqual([])
    expect(await activeRegion()).toBe('west')
    expect((await recordIn('west')).activeRegion).toBe('west')
    expect(await primaryRegions()).toEqual(['west'])
  }, 60_000)

  test('drill --confirm NAME: a planned switchover to east, measured, with every PRIMARY and the record there', async () => {
    const run = await local.cli(['failover', 'drill', '--env', env, '--confirm', env, '--json'], {timeoutMs: 180_000})
    expect(run.exitCode, run.stderr).toBe(0)
    const {result} = parseEnvelope<{result: {kind: string; provider: string; from: string; to: string; verdict: string; steps: Array<{step: string}>; phases: Array<{phase: string; rtoMs: number}>}}>(run.stdout)
    expect(result).toMatchObject({kind: 'switchover', provider: 'kubeconfig', from: 'west', to: 'east', verdict: 'met'})
    expect(result.steps.map((s) => s.step)).toEqual(['switchover'])
    expect(result.phases[0].rtoMs).toBeGreaterThan(0)
    expect(await runs()).toMatchObject([{mode: 'planned', from: 'west', to: 'east', outcome: 'succeeded'}])
    expect(await primaryRegions()).toEqual(['east'])
    expect(await recordIn('east')).toMatchObject({provider: 'kubeconfig', activeRegion: 'east'})
    expect((await recordIn('west')).activeRegion).toBe('east')
  }, 200_000)
})
