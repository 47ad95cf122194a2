import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {errorRateQuery} from '../../src/analysis/queries.js'
import {parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/** `mygate local fault` through the real CLI; effects checked with real kubectl. */
describe('mygate local fault', () => {
  let local: LocalHome
  let kubeconfig: string
  let context: string
  let versions: Record<string, string>

  const kubectl = async (...args: string[]) => {
    const run = await runKubectl(['--context', context, ...args], {kubeconfig})
    return run
  }
  const until = async (check: () => Promise<boolean>, what: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }

  beforeAll(async () => {
    local = createLocalHome()
    const run = await local.cli(['env', 'create', 'faulty', '--json'])
    if (run.exitCode !== 0) throw new Error(run.stderr)
    const result = parseEnvelope<{result: {kubeconfig: string; contexts: Record<string, string>}}>(run.stdout).result
    kubeconfig = result.kubeconfig
    context = result.contexts['local-1']
    const described = parseEnvelope<{result: {versions: Record<string, string>}}>((await local.cli(['env', 'describe', 'faulty', '--json'])).stdout)
    versions = described.result.versions
  }, 60_000)
  afterAll(async () => {
    await local.cleanup()
  })

  test('a crash fault shows in pod status as CrashLoopBackOff; clearing it recovers', async () => {
    const inject = await local.cli(['local', 'fault', '--env', 'faulty', '--service', 'visitors', '--version', versions.visitors, '--crash'])
    expect(inject.exitCode, inject.stderr).toBe(0)
    expect(inject.stdout).toContain(`visitors ${versions.visitors}: crash=true`)
    const reason = async () =>
      (await kubectl('get', 'pods', '-n', 'mygate', '-l', 'app.kubernetes.io/name=visitors', '-o', 'jsonpath={.items[*].status.containerStatuses[0].state.waiting.reason}')).stdout
    await until(async () => (await reason()).includes('CrashLoopBackOff'), 'CrashLoopBackOff')
    const clear = await local.cli(['local', 'fault', '--env', 'faulty', '--service', 'visitors', '--clear'])
    expect(clear.exitCode, clear.stderr).toBe(0)
    await until(async () => (await kubectl('get', 'deployment', 'visitors', '-n', 'mygate', '-o', 'jsonpath={.status.availableReplicas}')).stdout === '1', 'recovery')
  })

  test('a replication-lag fault on a database is a Fault in the data namespace; clearing removes it', async () => {
    const inject = await local.cli(['local', 'fault', '--env', 'faulty', '--service', 'billing-db', '--replication-lag', '2m'])
    expect(inject.exitCode, inject.stderr).toBe(0)
    expect(inject.stdout).toContain('billing-db: replicationLagMs=120000 in local-1')
    const spec = await kubectl('get', 'faults', '-n', 'mygate-data', '-o', 'jsonpath={.items[*].spec.replicationLagMs}')
    expect(spec.stdout).toBe('120000')
    const clear = await local.cli(['local', 'fault', '--env', 'faulty', '--service', 'billing-db', '--clear'])
    expect(clear.exitCode, clear.stderr).toBe(0)
    expect((await kubectl('get', 'faults', '-n', 'mygate-data', '-o', 'name')).stdout).toBe('')
  })

  test('an error-rate fault shows in the Prometheus API reached through the API server\'s service proxy', async () => {
    const inject = await local.cli(['local', 'fault', '--env', 'faulty', '--service', 'auth', '--version', versions.auth, '--error-rate', '0.3'])
    expect(inject.exitCode, inject.stderr).toBe(0)
    const query = errorRateQuery({namespace: 'mygate', service: 'auth', version: versions.auth, window: '30s'})
    const path = `/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/api/v1/query?query=${encodeURIComponent(query)}`
    let value = 0
    await until(async () => {
      const run = await kubectl('get', '--raw', path)
      if (run.exitCode !== 0) return false
      const body = JSON.parse(run.stdout) as {data: {result: Array<{value: [number, string]}>}}
      value = Number(body.data.result[0]?.value[1] ?? 0)
      return value > 0.2
    }, 'the error rate to rise')
    expect(value).toBeGreaterThan(0.2)
    expect(value).toBeLessThan(0.4)
  })

  test('API faults make the API server answer 503; clearing them restores it', async () => {
    // Retry-After 0: kubectl (client-go) repeats a 503 that carries Retry-After up to ten times,
    // waiting what it says each time; with kube-apiserver's 1 s that is ten seconds per kubectl run.
    const inject = await local.cli(['local', 'fault', '--env', 'faulty', '--api-error-rate', '1', '--api-status', '503', '--api-retry-after', '0'])
    expect(inject.exitCode, inject.stderr).toBe(0)
    const failing = await kubectl('get', 'configmaps', '-n', 'default')
    expect(failing.exitCode).not.toBe(0)
    expect(failing.stderr).toMatch(/ServiceUnavailable|503|unavailable/i)
    expect((await local.cli(['local', 'fault', '--env', 'faulty', '--clear'])).exitCode).toBe(0)
    expect((await kubectl('get', 'configmaps', '-n', 'default')).exitCode).toBe(0)
  })

  test('a region outage makes its cluster unreachable; clearing brings it back', async () => {
    const down = await local.cli(['local', 'fault', '--env', 'faulty', '--region-down', 'local-1'])
    expect(down.exitCode, down.stderr).toBe(0)
    const unreachable = await kubectl('get', 'nodes')
    expect(unreachable.exitCode).not.toBe(0)
    expect(unreachable.stderr).toMatch(/refused|connect/i)
    const up = await local.cli(['local', 'fault', '--env', 'faulty', '--region-down', 'local-1', '--clear'])
    expect(up.exitCode, up.stderr).toBe(0)
    expect((await kubectl('get', 'nodes')).exitCode).toBe(0)
  })

  test.each([
    [['local', 'fault', '--env', 'faulty', '--service', 'auth', '--error-rate', '1.5'], '--error-rate 1.5 is outside 0..1'],
    [['local', 'fault', '--env', 'faulty'], 'no fault given'],
    [['local', 'fault', '--env', 'faulty', '--error-rate', '0.1'], 'a service fault needs --service'],
    [['local', 'fault', '--env', 'faulty', '--api-error-rate', '0.5', '--api-status', '404'], '--api-status 404 is not one of 500, 503, 429, 409'],
  ])('%j is refused: %s', async (args, message) => {
    const run = await local.cli(args)
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(message)
  })

  test('an unknown environment is not found', async () => {
    const run = await local.cli(['local', 'fault', '--env', 'nosuch', '--service', 'auth', '--crash'])
    expect(run.exitCode).toBe(3)
  })
})
