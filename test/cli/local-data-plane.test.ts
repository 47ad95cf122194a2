import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {KubeObject} from '../../src/kube/types.js'
import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {credentialsSecret, headlessService, lastJsonLine, memberHost, mongodStatefulSet, namespace, NAMESPACE, opJob, opsConfigMap, toYaml} from '../helpers/data-plane.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * The data plane inside the detached daemon, driven with the built CLI and real kubectl: a
 * replica set formed by Jobs keeps its documents and its Jobs' logs across `kill -9` of the daemon.
 */
describe('local data plane in the daemon', () => {
  let local: LocalHome
  let kubeconfig: string
  const hosts = [0, 1, 2].map((i) => memberHost('billing-db', i))
  const kubectl = (...args: string[]) => runKubectl(['--context', 'mygate-local-default', ...args], {kubeconfig})
  const apply = async (objects: KubeObject[]) => {
    const run = await runKubectl(['--context', 'mygate-local-default', 'apply', '-f', '-'], {kubeconfig, input: toYaml(objects)})
    if (run.exitCode !== 0) throw new Error(run.stderr)
  }
  const until = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = await check().catch(() => undefined)
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  let jobs = 0
  const runOp = async (op: string, params: Record<string, unknown>, uri = `mongodb://${hosts.join(',')}/?replicaSet=billing-db&readPreference=primaryPreferred`) => {
    const name = `${op}-${++jobs}`
    await apply([opJob(name, 'billing-db', op, {uri, params})])
    await until(`job ${name}`, async () => (/Complete|Failed/.test((await kubectl('get', 'job', name, '-n', NAMESPACE, '-o', 'jsonpath={.status.conditions[*].type}')).stdout) ? true : undefined))
    const logs = await kubectl('logs', `job/${name}`, '-n', NAMESPACE)
    return {name, result: lastJsonLine(logs.stdout)}
  }
  const documents = (result: Record<string, unknown>): Record<string, number> =>
    Object.fromEntries((result.collections as Array<{name: string; count: number}>).map((c) => [c.name, c.count]))

  beforeAll(async () => {
    local = createLocalHome()
    local.env.MYGATE_LOCAL_JOB_RUN_MS = '100'
    const started = await local.cli(['local', 'start', '--json'])
    if (started.exitCode !== 0) throw new Error(started.stderr)
    kubeconfig = parseEnvelope<{result: {kubeconfig: string}}>(started.stdout).result.kubeconfig
  }, 60_000)
  afterAll(async () => {
    await local.cleanup()
  })

  test('a replication-lag fault on a service without a database is refused in one line', async () => {
    const run = await local.cli(['local', 'fault', '--env', 'anything', '--service', 'billing', '--replication-lag', '2m'])
    expect(run.exitCode).toBe(2)
    expect(expectOneLineError(run)).toBe('Error: billing is not a database service: --replication-lag applies to a MongoDB service (use --service billing-db (billing\'s database))')
    const bad = await local.cli(['local', 'fault', '--env', 'anything', '--service', 'billing-db', '--replication-lag', 'soon'])
    expect(bad.exitCode).toBe(2)
    expect(expectOneLineError(bad)).toMatch(/--replication-lag "soon" is not a duration/)
  })

  test('documents, config and Job logs survive kill -9 of the daemon', async () => {
    await apply([
      namespace(),
      credentialsSecret('billing-db'),
      opsConfigMap(),
      headlessService('billing-db'),
      mongodStatefulSet('billing-db'),
      {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'mygate'}},
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {name: 'billing', namespace: 'mygate'},
        spec: {
          replicas: 1,
          selector: {matchLabels: {'app.kubernetes.io/name': 'billing'}},
          template: {metadata: {labels: {'app.kubernetes.io/name': 'billing', 'app.kubernetes.io/version': '4.1.2'}}, spec: {containers: [{name: 'app', image: 'mygate/billing:4.1.2'}]}},
        },
      },
    ])
    await until('mongod running', async () => ((await kubectl('get', 'pods', '-n', NAMESPACE, '-o', 'jsonpath={.items[*].status.containerStatuses[0].started}')).stdout === 'true true true' ? true : undefined))
    const initiated = await runOp('initiate', {set: 'billing-db', members: hosts.map((host) => ({host})), settings: {electionTimeoutMillis: 1000, heartbeatIntervalMillis: 200}}, `mongodb://${hosts[0]}/?directConnection=true`)
    expect(initiated.result).toMatchObject({ok: true, changed: true})
    const before = await until('documents written', async () => {
      const run = await runOp('status', {database: 'billing'})
      return run.result.verdict === 'healthy' && Object.values(documents(run.result)).reduce((a, b) => a + b, 0) >= 20 ? run : undefined
    }, 60_000)
    const statusLog = (await kubectl('logs', `job/${before.name}`, '-n', NAMESPACE)).stdout

    const pid = parseEnvelope<{result: {pid: number}}>((await local.cli(['local', 'status', '--json'])).stdout).result.pid
    process.kill(pid, 'SIGKILL')
    await until('the daemon to die', async () => {
      try {
        process.kill(pid, 0)
        return undefined
      } catch {
        return true
      }
    })
    const restarted = await local.cli(['local', 'start'])
    expect(restarted.exitCode, restarted.stderr).toBe(0)

    // The earlier Job's log is where the kubelet left it.
    expect((await kubectl('logs', `job/${before.name}`, '-n', NAMESPACE)).stdout).toBe(statusLog)
    const after = await until('a primary after the restart', async () => {
      const run = await runOp('status', {database: 'billing'})
      return run.result.verdict === 'healthy' ? run : undefined
    })
    expect(after.result).toMatchObject({set: 'billing-db', configVersion: before.result.configVersion})
    // A full restart means a new election: the term moved on.
    expect(after.result.term as number).toBeGreaterThan(before.result.term as number)
    for (const [collection, count] of Object.entries(documents(before.result))) expect(documents(after.result)[collection]).toBeGreaterThanOrEqual(count)
    const again = await runOp('initiate', {set: 'billing-db', members: hosts.map((host) => ({host}))}, `mongodb://${hosts[0]}/?directConnection=true`)
    expect(again.result).toMatchObject({ok: true, changed: false})
  }, 150_000)
})
