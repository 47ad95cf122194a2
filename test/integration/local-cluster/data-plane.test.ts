import {execa} from 'execa'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../src/kube/types.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import {
  credentialsSecret,
  headlessService,
  lastJsonLine,
  memberService,
  mongodStatefulSet,
  namespace,
  NAMESPACE,
  opJob,
  opsConfigMap,
  toYaml,
} from '../../helpers/data-plane.js'
import {kubectlPath, runKubectl, writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * The data plane behind two region clusters of one environment, driven only through real kubectl:
 * a replica set spanning both regions forms from applied manifests and an initiate Job, pods turn
 * Ready by replica-set state, status Jobs report through `kubectl logs`, a region outage takes the
 * majority away, a lag fault shows, a bad key file crash-loops mongod.
 */
describe('local data plane through kubectl (two regions)', () => {
  let dir: string
  let dataPlane: DataPlane
  const clusters: Record<string, LocalCluster> = {}
  const kubeconfigs: Record<string, string> = {}
  const timing = {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 100}
  const settings = {electionTimeoutMillis: 1000, heartbeatIntervalMillis: 200}
  const host = (service: string) => `${service}.${NAMESPACE}.svc.clusterset.local:27017`
  const members = [
    {host: host('billing-db-r1-0'), priority: 2},
    {host: host('billing-db-r1-1'), priority: 2},
    {host: host('billing-db-r2-0'), priority: 1},
  ]

  const kubectl = (region: string, ...args: string[]) => runKubectl(args, {kubeconfig: kubeconfigs[region]})
  const apply = async (region: string, objects: KubeObject[]) => {
    const applied = await runKubectl(['apply', '-f', '-'], {kubeconfig: kubeconfigs[region], input: toYaml(objects)})
    if (applied.exitCode !== 0) throw new Error(applied.stderr)
  }
  const until = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = await check()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
  }
  let jobs = 0
  /** Runs an op Job in `region`, waits for it to finish, returns the last JSON line of its log via kubectl logs. */
  const runOp = async (region: string, op: string, uri: string, params: Record<string, unknown>, extra: Partial<Parameters<typeof opJob>[3]> = {}) => {
    const name = `${op}-${++jobs}`
    await apply(region, [opJob(name, 'billing-db', op, {uri, params, ...extra})])
    await until(`job ${name} to finish`, async () => {
      const phase = await kubectl(region, 'get', 'job', name, '-n', NAMESPACE, '-o', 'jsonpath={.status.conditions[*].type}')
      return /Complete|Failed/.test(phase.stdout) ? true : undefined
    })
    const logs = await kubectl(region, 'logs', `job/${name}`, '-n', NAMESPACE)
    expect(logs.exitCode, logs.stderr).toBe(0)
    const terminated = await kubectl(region, 'get', 'pods', '-n', NAMESPACE, '-l', `job-name=${name}`, '-o', 'jsonpath={.items[0].status.containerStatuses[0].state.terminated}')
    const state = JSON.parse(terminated.stdout) as {exitCode: number; message?: string}
    const last = logs.stdout.trim().split('\n').at(-1) ?? ''
    return {name, result: last.startsWith('{') ? lastJsonLine(logs.stdout) : {}, log: logs.stdout, verdict: state.message ?? '', exitCode: state.exitCode}
  }
  const r1Status = (params: Record<string, unknown> = {database: 'billing'}) =>
    runOp('r1', 'status', `mongodb://${members.map((m) => m.host).join(',')}/?replicaSet=billing-db&readPreference=primaryPreferred`, params)

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-data-plane-'))
    dataPlane = new DataPlane({stateDir: join(dir, 'data-plane'), timing: {tickMs: 50}})
    for (const region of ['r1', 'r2']) {
      clusters[region] = await startLocalCluster({name: `demo-${region}`, region, clusterSet: 'demo', stateDir: join(dir, region), timing, dataPlane})
      kubeconfigs[region] = writeKubeconfig(clusters[region].url, mkdtempSync(join(dir, `kc-${region}-`)))
    }
    dataPlane.start()
    const common = [namespace(), credentialsSecret('billing-db'), opsConfigMap(), headlessService('billing-db')]
    await apply('r1', [...common, mongodStatefulSet('billing-db', {replicas: 2}), memberService('billing-db-r1-0', 'billing-db-0'), memberService('billing-db-r1-1', 'billing-db-1')])
    await apply('r2', [...common, mongodStatefulSet('billing-db', {replicas: 1}), memberService('billing-db-r2-0', 'billing-db-0')])
  }, 60_000)

  afterAll(async () => {
    for (const cluster of Object.values(clusters)) await cluster.stop()
    await dataPlane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('members run but are not Ready before the set is initiated (readiness = PRIMARY or SECONDARY)', async () => {
    await until('mongod running', async () => {
      const states = await kubectl('r1', 'get', 'pods', '-n', NAMESPACE, '-l', 'app.kubernetes.io/name=billing-db', '-o', 'jsonpath={.items[*].status.containerStatuses[0].started}')
      return states.stdout === 'true true' ? true : undefined
    })
    const ready = await kubectl('r1', 'get', 'pods', '-n', NAMESPACE, '-l', 'app.kubernetes.io/name=billing-db', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}')
    expect(ready.stdout).toBe('False False')
    const events = await kubectl('r1', 'get', 'events', '-n', NAMESPACE, '--field-selector', 'reason=Unhealthy', '-o', 'jsonpath={.items[*].message}')
    expect(events.stdout).toContain('Readiness probe failed: ')
  })

  test('an initiate Job forms one replica set across both regions; pods turn Ready; a re-run changes nothing', async () => {
    const first = await runOp('r1', 'initiate', `mongodb://${members[0].host}/?directConnection=true`, {set: 'billing-db', members, settings})
    expect(first.result).toMatchObject({op: 'initiate', ok: true, changed: true, set: 'billing-db', configVersion: 1})
    expect(first.verdict).toBe('initiate: initiated billing-db with 3 members')
    for (const region of ['r1', 'r2']) {
      const wait = await kubectl(region, 'wait', '--for=condition=Ready', 'pod', '-l', 'app.kubernetes.io/name=billing-db', '-n', NAMESPACE, '--timeout=20s')
      expect(wait.exitCode, wait.stderr).toBe(0)
    }
    const again = await runOp('r1', 'initiate', `mongodb://${members[0].host}/?directConnection=true`, {set: 'billing-db', members, settings})
    expect(again.result).toMatchObject({changed: false})
    const status = await until('a primary', async () => {
      const run = await r1Status()
      return run.result.verdict === 'healthy' ? run : undefined
    })
    expect(status.result).toMatchObject({set: 'billing-db', initiated: true, majority: {votingMembers: 3, needed: 2, healthyVoters: 3}})
    expect([members[0].host, members[1].host]).toContain(status.result.primary)
    expect((status.result.members as Array<{host: string; state: string}>).map((m) => m.host).sort()).toEqual(members.map((m) => m.host).sort())
    expect(status.verdict).toBe(`status: healthy (primary ${String(status.result.primary)})`)
    // mongod's own log, through kubectl logs.
    const log = await kubectl('r2', 'logs', 'billing-db-0', '-n', NAMESPACE)
    expect(log.stdout).toMatch(/"msg":"Replica set state transition","attr":\{"newState":"SECONDARY"/)
  })

  test('a deleted member pod comes back on its claim with its data; a deleted claim means an initial sync', async () => {
    const restart = async (alsoClaim: boolean) => {
      const before = (await kubectl('r2', 'get', 'pod', 'billing-db-0', '-n', NAMESPACE, '-o', 'jsonpath={.metadata.uid}')).stdout
      if (alsoClaim) await kubectl('r2', 'delete', 'pvc', 'data-billing-db-0', '-n', NAMESPACE, '--wait=false')
      expect((await kubectl('r2', 'delete', 'pod', 'billing-db-0', '-n', NAMESPACE)).exitCode).toBe(0)
      await until('the member back and Ready', async () => {
        const pod = await kubectl('r2', 'get', 'pod', 'billing-db-0', '-n', NAMESPACE, '-o', 'jsonpath={.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}')
        const [uid, ready] = pod.stdout.split(' ')
        return uid && uid !== before && ready === 'True' ? true : undefined
      })
      return (await kubectl('r2', 'logs', 'billing-db-0', '-n', NAMESPACE)).stdout
    }
    const kept = await restart(false)
    expect(kept).toContain('"newState":"SECONDARY"')
    expect(kept).not.toContain('Initial sync done')
    const wiped = await restart(true)
    expect(wiped).toContain('Initial sync done')
  })

  test('kubectl logs options: --tail, --timestamps, --limit-bytes, -c, and the API server\'s errors', async () => {
    const run = await runOp('r1', 'status', `mongodb://${members[0].host}/?directConnection=true`, {})
    const pod = (await kubectl('r1', 'get', 'pods', '-n', NAMESPACE, '-l', `job-name=${run.name}`, '-o', 'jsonpath={.items[0].metadata.name}')).stdout
    const tail = await kubectl('r1', 'logs', pod, '-n', NAMESPACE, '--tail=1', '--timestamps', '-c', 'op')
    expect(tail.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \{"op":"status"/)
    const limited = await kubectl('r1', 'logs', pod, '-n', NAMESPACE, '--limit-bytes=11')
    expect(limited.stdout).toBe('{"op":"stat')
    const wrong = await kubectl('r1', 'logs', pod, '-n', NAMESPACE, '-c', 'nope')
    expect(wrong.exitCode).not.toBe(0)
    expect(wrong.stderr).toContain(`container nope is not valid for pod ${pod}`)
    const missing = await kubectl('r1', 'logs', 'no-such-pod', '-n', NAMESPACE)
    expect(missing.stderr).toContain('pods "no-such-pod" not found')
  })

  test('writes follow the billing service\'s traffic; a replication-lag fault shows in status', async () => {
    await apply('r1', [
      {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'mygate'}},
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {name: 'billing', namespace: 'mygate'},
        spec: {
          replicas: 2,
          selector: {matchLabels: {'app.kubernetes.io/name': 'billing'}},
          template: {metadata: {labels: {'app.kubernetes.io/name': 'billing', 'app.kubernetes.io/version': '4.1.2'}}, spec: {containers: [{name: 'app', image: 'mygate/billing:4.1.2'}]}},
        },
      },
      {apiVersion: 'local.mygate.dev/v1', kind: 'Fault', metadata: {name: 'billing-db-lag', namespace: NAMESPACE}, spec: {service: 'billing-db', replicationLagMs: 6000}},
    ])
    const degraded = await until(
      'documents and lag',
      async () => {
        const run = await r1Status({database: 'billing', maxLagSeconds: 3})
        const documents = (run.result.collections as Array<{count: number}>).reduce((n, c) => n + c.count, 0)
        // Lag is measured between optimes: wait for a steady stream of writes (about 2.5 a second).
        return documents >= 10 && run.result.verdict === 'degraded' ? run : undefined
      },
      30_000,
    )
    const names = (degraded.result.collections as Array<{name: string}>).map((c) => c.name)
    expect(names.every((n) => ['invoices', 'payments'].includes(n))).toBe(true)
    // The fault is in r1's data namespace: r1's secondaries lag, r2's member does not.
    const lagging = (degraded.result.members as Array<{host: string; lagSeconds: number}>).filter((m) => m.lagSeconds > 3).map((m) => m.host)
    expect(lagging.length).toBeGreaterThan(0)
    expect(lagging.every((h) => h === members[0].host || h === members[1].host)).toBe(true)
    expect(degraded.result.problems).toEqual(lagging.map((h) => expect.stringMatching(new RegExp(`^${h}: lag \\d+s > 3s$`))))
    await kubectl('r1', 'delete', 'fault', 'billing-db-lag', '-n', NAMESPACE)
  }, 60_000)

  test('the primary region goes down: the survivor sees no primary (majority lost); it comes back with one', async () => {
    await clusters.r1.setDown(true)
    const r2 = await until(
      'no primary seen from r2',
      async () => {
        const run = await runOp('r2', 'status', `mongodb://${host('billing-db-r2-0')}/?directConnection=true`, {})
        return run.result.verdict === 'no-primary' ? run : undefined
      },
      20_000,
    )
    expect(r2.result).toMatchObject({primary: null, majority: {votingMembers: 3, needed: 2, healthyVoters: 1}})
    expect((r2.result.members as Array<{host: string; state: string}>).filter((m) => m.state === 'DOWN').map((m) => m.host).sort()).toEqual([members[0].host, members[1].host])
    await clusters.r1.setDown(false)
    // The first election may go to r2's member (as fresh as a majority); the r1 members' higher
    // priority takes the primary back (priority takeover).
    // Members coming back may roll back or catch up first (degraded a moment): wait for healthy.
    const back = await until('a healthy set with its primary in r1 again', async () => {
      const run = await r1Status()
      return run.result.verdict === 'healthy' && (run.result.primary === members[0].host || run.result.primary === members[1].host) ? run : undefined
    })
    expect(back.result.majority).toEqual({votingMembers: 3, needed: 2, healthyVoters: 3})
  }, 60_000)

  test('a step-down Job moves the primary; kubectl logs -f on the old primary follows it happening', async () => {
    const before = await r1Status()
    const primary = before.result.primary as string
    const pod = primary === members[0].host ? 'billing-db-0' : 'billing-db-1'
    const follower = execa(kubectlPath(), ['--kubeconfig', kubeconfigs.r1, 'logs', '-f', '--tail=0', pod, '-n', NAMESPACE], {reject: false, env: {HOME: dir}})
    let followed = ''
    follower.stdout?.on('data', (chunk: Buffer) => (followed += chunk.toString()))
    await new Promise((resolve) => setTimeout(resolve, 500))
    const seedList = `mongodb://${members.map((m) => m.host).join(',')}/?replicaSet=billing-db`
    const stepped = await runOp('r1', 'step-down', seedList, {expectedPrimary: primary, stepDownSecs: 30})
    expect(stepped.result).toMatchObject({ok: true, changed: true, primaryBefore: primary})
    expect(stepped.result.primaryAfter).not.toBe(primary)
    await until('the followed log to show it', async () => (followed.includes('"msg":"Stepping down from primary"') ? true : undefined), 5000)
    follower.kill()
    // Run again (a retried Job): the primary is someone else now, nothing happens.
    const again = await runOp('r1', 'step-down', seedList, {expectedPrimary: primary})
    expect(again.result).toMatchObject({changed: false, reason: `primary is ${String(stepped.result.primaryAfter)}, not ${primary}`})
  })

  test('a Job with the wrong password fails as mongosh does: exit 1, the error as the last line', async () => {
    const run = await runOp('r1', 'status', `mongodb://${members[0].host}/?directConnection=true`, {}, {passwordKey: 'root-username'})
    expect(run.exitCode).toBe(1)
    expect(run.result).toEqual({op: 'status', ok: false, error: {code: 18, codeName: 'AuthenticationFailed', message: 'Authentication failed.'}})
    expect(run.verdict).toBe('FAILED: Authentication failed.')
  })

  test('a misspelt mongosh option fails the Job as mongosh does (no result line)', async () => {
    const run = await runOp('r1', 'status', `mongodb://${members[0].host}/?directConnection=true`, {}, {extraArgs: ['--quite']})
    expect(run.exitCode).toBe(1)
    expect(run.log).toContain('Error parsing command line: unrecognized option: --quite')
  })

  test('a key file mounted straight from the Secret (fsGroup): mongod crash-loops and says why', async () => {
    await apply('r1', [credentialsSecret('users-db'), mongodStatefulSet('users-db', {replicas: 1, secretKeyFileMode: 0o400})])
    await until('CrashLoopBackOff', async () => {
      const reason = await kubectl('r1', 'get', 'pod', 'users-db-0', '-n', NAMESPACE, '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.reason}')
      return reason.stdout === 'CrashLoopBackOff' ? true : undefined
    })
    const log = await kubectl('r1', 'logs', 'users-db-0', '-n', NAMESPACE)
    expect(log.stdout).toContain('"errmsg":"permissions on /secret/replica-set-key are too open"')
    expect(log.stdout).toContain('Unable to acquire security key[s]')
  })
})
