import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, createWithExternalSecrets, type LocalHome} from '../helpers/local-home.js'

interface Created {
  kubeconfig: string
  contexts: Record<string, string>
  clusters: Array<{region: string; role: string; endpoint: string}>
}

const replicasIn = async (kubeconfig: string, context: string) => {
  const run = await runKubectl(['--context', context, 'get', 'deployments', '-n', 'mygate', '-o', 'json'], {kubeconfig})
  if (run.exitCode !== 0) throw new Error(run.stderr)
  const list = JSON.parse(run.stdout) as {items: Array<{metadata: {name: string}; spec: {replicas: number}}>}
  return Object.fromEntries(list.items.map((d) => [d.metadata.name, d.spec.replicas]))
}

describe('two-region environments and TTLs on the local control plane', () => {
  let local: LocalHome
  beforeAll(() => {
    local = createLocalHome()
  })
  afterAll(async () => {
    await local.cleanup()
  })

  test('warm standby: a cluster per region; the secondary runs every app at one replica', async () => {
    const run = await createWithExternalSecrets(local, ['env', 'create', 'dr', '--tier', 'staging', '--region', 'west', '--secondary-region', 'east', '--json'], {timeoutMs: 170_000})
    expect(run.exitCode, run.stderr).toBe(0)
    const created = parseEnvelope<{result: Created}>(run.stdout).result
    expect(created.clusters.map((c) => [c.region, c.role])).toEqual([
      ['west', 'primary'],
      ['east', 'secondary'],
    ])
    expect(created.clusters[0].endpoint).not.toBe(created.clusters[1].endpoint)
    const primary = await replicasIn(created.kubeconfig, created.contexts.west)
    const secondary = await replicasIn(created.kubeconfig, created.contexts.east)
    expect(Object.keys(secondary).sort()).toEqual(Object.keys(primary).sort())
    expect(Math.max(...Object.values(primary))).toBeGreaterThan(1)
    expect(Object.values(secondary).every((n) => n === 1)).toBe(true)
    const nodes = await runKubectl(['--context', created.contexts.east, 'get', 'nodes', '-o', 'jsonpath={.items[0].metadata.labels.topology\\.kubernetes\\.io/region}'], {
      kubeconfig: created.kubeconfig,
    })
    expect(nodes.stdout).toBe('east')
  }, 180_000)

  test('pilot light: the secondary runs only the data services', async () => {
    const run = await local.cli(['env', 'create', 'pl', '--region', 'west', '--secondary-region', 'east', '--dr-mode', 'pilot-light', '--json'], {timeoutMs: 170_000})
    expect(run.exitCode, run.stderr).toBe(0)
    const created = parseEnvelope<{result: Created}>(run.stdout).result
    // No app runs there; flagd does, so the flags are served the moment a failover brings the apps.
    expect(await replicasIn(created.kubeconfig, created.contexts.east)).toEqual({flagd: 1})
    const sets = await runKubectl(['--context', created.contexts.east, 'get', 'statefulsets', '-n', 'mygate-data', '-o', 'name'], {kubeconfig: created.kubeconfig})
    expect(sets.stdout).toContain('statefulset.apps/redis')
  }, 180_000)

  test('an environment past its TTL is listed as expired and removed by destroy --expired', async () => {
    // One that has not expired (its clusters only, enough to be listed) must stay.
    const keeper = await local.cli(['env', 'create', 'keeper', '--ttl', '1h', '--infra-only'])
    expect(keeper.exitCode, keeper.stderr).toBe(0)
    const run = await local.cli(['env', 'create', 'brief', '--ttl', '1s'], {timeoutMs: 170_000})
    expect(run.exitCode, run.stderr).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 1200))
    const list = parseEnvelope<{result: Array<{name: string; expired: boolean}>}>((await local.cli(['env', 'list', '--json'])).stdout).result
    expect(list.find((e) => e.name === 'brief')?.expired).toBe(true)
    expect(list.find((e) => e.name === 'keeper')?.expired).toBe(false)
    const destroy = await local.cli(['env', 'destroy', '--expired', '--yes', '--json'])
    expect(destroy.exitCode, destroy.stderr).toBe(0)
    const destroyed = parseEnvelope<{result: {destroyed: Array<{environment: string}>}}>(destroy.stdout).result.destroyed
    expect(destroyed.map((d) => d.environment)).toEqual(['brief'])
    const after = parseEnvelope<{result: Array<{name: string}>}>((await local.cli(['env', 'list', '--json'])).stdout).result
    expect(after.map((e) => e.name)).toContain('keeper')
    expect(after.map((e) => e.name)).not.toContain('brief')
  }, 240_000)

  test('destroying a prod-tier environment without a terminal needs --confirm NAME too', async () => {
    // Services wait for the external secrets (exit 2), but the prod-tier environment exists: that is what destroy guards.
    expect((await local.cli(['env', 'create', 'p1', '--tier', 'prod'])).exitCode).toBe(2)
    const refused = await local.cli(['env', 'destroy', 'p1', '--yes'])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('pass --yes --confirm p1')
    const wrong = await local.cli(['env', 'destroy', 'p1', '--yes', '--confirm', 'p2'])
    expect(wrong.exitCode).toBe(2)
    expect(wrong.stderr).toContain('--confirm "p2" does not match "p1"')
    const ok = await local.cli(['env', 'destroy', 'p1', '--yes', '--confirm', 'p1'])
    expect(ok.exitCode, ok.stderr).toBe(0)
  })
})
