import {execa} from 'execa'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {CLI_BIN, parseEnvelope, type CliResult} from '../helpers/cli.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'
import {runKubectl} from '../helpers/kubectl.js'

interface CreateResult {
  changed: boolean
  kubeconfig: string
  contexts: Record<string, string>
  applied: {created: number; configured: number; unchanged: number}
  services: Array<{service: string; verdict: string}>
  apiRequests: number
}

const APP_SERVICES = ['amenities', 'auth', 'billing', 'gateway', 'maintenance', 'notifications', 'reports', 'users', 'visitors']

describe('mygate env on the local control plane (real CLI, real kubectl)', () => {
  let local: LocalHome
  /** `env create demo --json`, run once for every test here; the first test checks what it did. */
  let run: CliResult
  let created: CreateResult

  beforeAll(async () => {
    local = createLocalHome()
    run = await local.cli(['env', 'create', 'demo', '--json'])
    if (run.exitCode === 0) created = parseEnvelope<{ok: boolean; result: CreateResult}>(run.stdout).result
  }, 120_000)
  afterAll(async () => {
    await local.cleanup()
  })

  test('create brings every bundled service up, recorded in the cluster', async () => {
    expect(run.stderr).toContain('Services')
    expect(run.exitCode, run.stderr).toBe(0)
    expect(created.changed).toBe(true)
    expect(created.applied.created).toBeGreaterThan(50)
    const deployed = new Set(created.services.map((s) => s.service))
    for (const name of APP_SERVICES) expect(deployed).toContain(name)
    expect(created.services.every((s) => s.verdict === 'succeeded')).toBe(true)
    expect(existsSync(created.kubeconfig)).toBe(true)
  })

  test('real kubectl sees every app Deployment fully ready and the data StatefulSets ready', async () => {
    const context = Object.values(created.contexts)[0]
    const deployments = JSON.parse(
      (await runKubectl(['--context', context, 'get', 'deployments', '-n', 'mygate', '-o', 'json'], {kubeconfig: created.kubeconfig})).stdout,
    ) as {items: Array<{metadata: {name: string}; spec: {replicas: number}; status: {readyReplicas?: number}}>}
    // flagd serves the environment's feature flags beside the app services (src/flags/ensure-flags.ts).
    expect(deployments.items.map((d) => d.metadata.name).sort()).toEqual([...APP_SERVICES, 'flagd'].sort())
    for (const d of deployments.items) expect(d.status.readyReplicas, d.metadata.name).toBe(d.spec.replicas)
    const sets = JSON.parse(
      (await runKubectl(['--context', context, 'get', 'statefulsets', '-n', 'mygate-data', '-o', 'json'], {kubeconfig: created.kubeconfig})).stdout,
    ) as {items: Array<{metadata: {name: string}; spec: {replicas: number}; status: {readyReplicas?: number}}>}
    expect(sets.items.length).toBeGreaterThanOrEqual(2)
    for (const s of sets.items) expect(s.status.readyReplicas, s.metadata.name).toBe(s.spec.replicas)
    const wait = await runKubectl(['--context', context, 'wait', '--for=condition=Available', 'deployment/gateway', '-n', 'mygate', '--timeout=20s'], {
      kubeconfig: created.kubeconfig,
    })
    expect(wait.exitCode, wait.stderr).toBe(0)
    expect(wait.stdout).toContain('condition met')
  })

  test('a second create converges and says nothing changed', async () => {
    const run = await local.cli(['env', 'create', 'demo'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toContain('already up to date; nothing changed')
  })

  test('list and describe read the environment from its cluster', async () => {
    const list = parseEnvelope<{result: Array<{name: string; status: string; provider: string}>}>((await local.cli(['env', 'list', '--json'])).stdout)
    expect(list.result.find((e) => e.name === 'demo')).toMatchObject({status: 'created', provider: 'local'})
    const describe = await local.cli(['env', 'describe', 'demo', '--json'])
    expect(describe.exitCode, describe.stderr).toBe(0)
    const d = parseEnvelope<{result: {activeRegion: string; regions: Array<{services: Array<{name: string; health: string; version: string}>}>}}>(describe.stdout).result
    expect(d.activeRegion).toBe('local-1')
    const services = d.regions[0].services
    expect(services.map((s) => s.name)).toEqual(expect.arrayContaining(APP_SERVICES))
    expect(services.every((s) => s.health === 'Healthy')).toBe(true)
  })

  test('creating it again on another provider is refused, nothing changed', async () => {
    const run = await local.cli(['env', 'create', 'demo', '--provider', 'kubeconfig', '--context', 'anything'])
    expect(run.exitCode).toBe(6)
    expect(run.stderr).toMatch(/already exists on provider local, not kubeconfig/)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  test('destroy refuses without --yes when there is no terminal, then removes everything with it', async () => {
    // Its own environment: the others here keep using demo.
    const doomed = await local.cli(['env', 'create', 'doomed', '--json'])
    expect(doomed.exitCode, doomed.stderr).toBe(0)
    const {kubeconfig} = parseEnvelope<{result: CreateResult}>(doomed.stdout).result
    expect(existsSync(kubeconfig)).toBe(true)
    const refused = await local.cli(['env', 'destroy', 'doomed'])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('pass --yes')
    const destroyed = await local.cli(['env', 'destroy', 'doomed', '--yes'])
    expect(destroyed.exitCode, destroyed.stderr).toBe(0)
    expect(destroyed.stdout).toContain('destroyed')
    const list = parseEnvelope<{result: Array<{name: string}>}>((await local.cli(['env', 'list', '--json'])).stdout)
    expect(list.result.map((e) => e.name)).not.toContain('doomed')
    expect(list.result.map((e) => e.name)).toContain('demo')
    expect(existsSync(kubeconfig)).toBe(false)
  })

  test('an interrupted create is finished by running it again', async () => {
    // Kill the CLI as soon as the services phase starts: the baseline is applied, services half done.
    const child = execa(process.execPath, [CLI_BIN, 'env', 'create', 'half'], {env: {...local.env, NO_COLOR: '1'}, reject: false, stdin: 'ignore'})
    await new Promise<void>((resolve) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('▸ Services')) resolve()
      })
      void child.then(() => resolve())
    })
    child.kill('SIGKILL')
    await child
    const rerun = await local.cli(['env', 'create', 'half', '--json'])
    expect(rerun.exitCode, rerun.stderr).toBe(0)
    const result = parseEnvelope<{result: CreateResult}>(rerun.stdout).result
    expect(result.services.every((s) => s.verdict === 'succeeded')).toBe(true)
    // The first run's baseline survived the kill: the re-run found it in place.
    expect(result.applied.unchanged).toBeGreaterThan(0)
  })
})

describe('mygate env create: bad input is refused before anything is created', () => {
  let local: LocalHome
  beforeAll(() => {
    local = createLocalHome()
  })
  afterAll(async () => {
    await local.cleanup()
  })

  test.each([
    [['env', 'create', 'Bad_Name'], 2, 'environment name "Bad_Name" is not a DNS-1123 label'],
    [['env', 'create', 'x', '--provider', 'azure'], 2, 'azure'],
    [['env', 'create', 'x', '--tier', 'huge'], 2, 'huge'],
    [['env', 'create', 'x', '--region', 'r1', '--secondary-region', 'r1'], 2, 'same as the primary region'],
    [['env', 'create', 'x', '--region', 'Not A Region'], 2, 'region "Not A Region" is not a valid local region name'],
    [['env', 'create', 'x', '--provider', 'kubeconfig'], 2, 'provider kubeconfig needs a context'],
    [['env', 'destroy', 'nosuch', '--yes'], 3, 'environment "nosuch" not found'],
    [['env', 'describe', 'nosuch'], 3, 'environment "nosuch" not found'],
  ])('%j exits %i: %s', async (args, exitCode, message) => {
    const run = await local.cli(args)
    expect(run.exitCode, run.stderr).toBe(exitCode)
    expect(run.stderr).toContain(message)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(existsSync(join(local.home, 'local', 'daemon.json'))).toBe(false)
  })

  test('provider kubeconfig with a context that does not exist lists the ones that do', async () => {
    const file = join(local.home, 'user-kubeconfig.yaml')
    writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters:\n- name: c1\n  cluster: {server: "https://127.0.0.1:6443"}\nusers:\n- name: u1\n  user: {token: t}\ncontexts:\n- name: kind-dev\n  context: {cluster: c1, user: u1}\ncurrent-context: kind-dev\n')
    const run = await local.cli(['env', 'create', 'x', '--provider', 'kubeconfig', '--context', 'nope'], {env: {KUBECONFIG: file}})
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('nope')
    expect(run.stderr).toContain('kind-dev')
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
  })

  test('an env file with an unknown key names the file and line', async () => {
    const file = join(local.home, 'env.yaml')
    writeFileSync(file, 'tier: dev\nregions:\n  primary: local-1\nnodes: 3\n')
    const run = await local.cli(['env', 'create', 'x', '--file', file])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/env\.yaml:4: .*nodes/)
  })

  test('--dry-run prints the plan and starts nothing', async () => {
    const run = await local.cli(['env', 'create', 'plan-only', '--dry-run'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toContain('cluster plan-only-local-1 [primary, region local-1]')
    expect(run.stdout).toMatch(/services: .*gateway/)
    expect(existsSync(join(local.home, 'local', 'daemon.json'))).toBe(false)
  })
})
