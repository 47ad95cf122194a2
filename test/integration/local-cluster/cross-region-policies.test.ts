import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import {cidrContains} from '../../../src/local-cluster/network/network-policy.js'
import {LOCAL_POD_RANGES} from '../../../src/providers/local/address-plan.js'
import {objectsForRegion} from '../../../src/render/labels.js'
import {renderEnvironment} from '../../../src/render/render-environment.js'
import {credentialsSecret, headlessService, lastJsonLine, memberService, mongodStatefulSet, namespace, NAMESPACE, opJob, opsConfigMap, toYaml} from '../../helpers/data-plane.js'
import {testEnvironment} from '../../helpers/builders.js'
import {runKubectl, writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * Two region clusters of one environment, each with its own Pod range (the local address plan),
 * and the NetworkPolicies mygate renders for billing-db in a two-region local environment: the
 * members' heartbeats, votes and replication between the regions are checked against them, as an
 * enforcing network plugin would. With the shipped policies the set forms across both regions;
 * deleting one region's `billing-db-cross-region` cuts that region's member off (heartbeats fail,
 * rs.status says "(not reachable/healthy)" while its pod runs); applying it again heals the set.
 */
describe('cross-region connections obey the NetworkPolicies (two local regions)', () => {
  let dir: string
  let dataPlane: DataPlane
  const clusters: Record<string, LocalCluster> = {}
  const kubeconfigs: Record<string, string> = {}
  const policies: Record<string, KubeObject[]> = {}
  const timing = {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 100}
  const settings = {electionTimeoutMillis: 1000, heartbeatIntervalMillis: 200}
  const host = (service: string) => `${service}.${NAMESPACE}.svc.clusterset.local:27017`
  const members = [
    {host: host('billing-db-r1-0'), priority: 2},
    {host: host('billing-db-r1-1'), priority: 2},
    {host: host('billing-db-r2-0'), priority: 1},
  ]
  const r2Member = members[2].host

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
  const runOp = async (region: string, op: string, uri: string, params: Record<string, unknown>) => {
    const name = `${op}-${++jobs}`
    await apply(region, [opJob(name, 'billing-db', op, {uri, params})])
    await until(`job ${name} to finish`, async () => {
      const phase = await kubectl(region, 'get', 'job', name, '-n', NAMESPACE, '-o', 'jsonpath={.status.conditions[*].type}')
      return /Complete|Failed/.test(phase.stdout) ? true : undefined
    })
    const logs = await kubectl(region, 'logs', `job/${name}`, '-n', NAMESPACE)
    const last = logs.stdout.trim().split('\n').at(-1) ?? ''
    return {result: last.startsWith('{') ? lastJsonLine(logs.stdout) : {}, log: logs.stdout}
  }
  type StatusMember = {host: string; state: string; health: number}
  /** The set as the primary (in r1) sees it. */
  const r1Status = async () => (await runOp('r1', 'status', `mongodb://${members[0].host},${members[1].host}/?replicaSet=billing-db`, {database: 'billing'})).result
  const stateOf = (status: Record<string, unknown>, member: string) => (status.members as StatusMember[] | undefined)?.find((m) => m.host === member)?.state

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-cross-region-'))
    dataPlane = new DataPlane({stateDir: join(dir, 'data-plane'), timing: {tickMs: 50}})
    for (const [region, role] of [['r1', 'primary'], ['r2', 'secondary']] as const) {
      clusters[region] = await startLocalCluster({name: `demo-${region}`, region, clusterSet: 'demo', stateDir: join(dir, region), timing, dataPlane, podCidr: LOCAL_POD_RANGES[role]})
      kubeconfigs[region] = writeKubeconfig(clusters[region].url, mkdtempSync(join(dir, `kc-${region}-`)))
    }
    dataPlane.start()
    // The policies mygate renders for billing-db in a two-region local environment, per region.
    const env = testEnvironment({name: 'demo', tier: 'dev', provider: 'local', regions: {primary: 'r1', secondary: 'r2'}})
    const rendered = (await renderEnvironment({catalog: await loadCatalog(), env})).objects
    for (const region of ['r1', 'r2']) {
      policies[region] = objectsForRegion(rendered, region).filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === NAMESPACE && String(o.metadata.name).startsWith('billing-db'))
    }
    expect(policies.r2.map((p) => p.metadata.name)).toContain('billing-db-cross-region')
    const common = [namespace(), credentialsSecret('billing-db'), opsConfigMap(), headlessService('billing-db')]
    await apply('r1', [...common, ...policies.r1, mongodStatefulSet('billing-db', {replicas: 2}), memberService('billing-db-r1-0', 'billing-db-0'), memberService('billing-db-r1-1', 'billing-db-1')])
    await apply('r2', [...common, ...policies.r2, mongodStatefulSet('billing-db', {replicas: 1}), memberService('billing-db-r2-0', 'billing-db-0')])
  }, 60_000)

  afterAll(async () => {
    for (const cluster of Object.values(clusters)) await cluster.stop()
    await dataPlane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('each region\'s pods get addresses from its own Pod range', async () => {
    for (const [region, role] of [['r1', 'primary'], ['r2', 'secondary']] as const) {
      const ips = await until(`pod IPs in ${region}`, async () => {
        const out = await kubectl(region, 'get', 'pods', '-n', NAMESPACE, '-l', 'app.kubernetes.io/name=billing-db', '-o', 'jsonpath={.items[*].status.podIP}')
        const found = out.stdout.split(' ').filter(Boolean)
        return found.length === (region === 'r1' ? 2 : 1) ? found : undefined
      })
      for (const ip of ips) expect(cidrContains(LOCAL_POD_RANGES[role], ip), `${ip} in ${LOCAL_POD_RANGES[role]}`).toBe(true)
    }
  })

  test('with the shipped policies the set forms across both regions and replicates', async () => {
    const initiated = await runOp('r1', 'initiate', `mongodb://${members[0].host}/?directConnection=true`, {set: 'billing-db', members, settings})
    expect(initiated.result).toMatchObject({op: 'initiate', ok: true, set: 'billing-db'})
    const status = await until('a healthy set', async () => {
      const run = await r1Status()
      return run.verdict === 'healthy' ? run : undefined
    })
    expect(status).toMatchObject({majority: {votingMembers: 3, needed: 2, healthyVoters: 3}})
    expect(stateOf(status, r2Member)).toBe('SECONDARY')
  }, 60_000)

  test('deleting r2\'s billing-db-cross-region cuts r2\'s member off (heartbeats fail, its pod still runs); applying it again heals', async () => {
    const deleted = await kubectl('r2', 'delete', 'networkpolicy', 'billing-db-cross-region', '-n', NAMESPACE)
    expect(deleted.exitCode, deleted.stderr).toBe(0)
    const cut = await until('r2\'s member unreachable from the primary', async () => {
      const run = await r1Status()
      return stateOf(run, r2Member) === 'DOWN' ? run : undefined
    })
    expect(cut).toMatchObject({verdict: 'degraded', majority: {votingMembers: 3, needed: 2, healthyVoters: 2}})
    const running = await kubectl('r2', 'get', 'pod', 'billing-db-0', '-n', NAMESPACE, '-o', 'jsonpath={.status.phase}')
    expect(running.stdout).toBe('Running')
    // mongod logs the heartbeats that no longer get through, on both sides.
    const r1Log = await kubectl('r1', 'logs', 'billing-db-0', '-n', NAMESPACE)
    expect(r1Log.stdout).toMatch(new RegExp(`"msg":"Heartbeat failed after max retries","attr":\\{"target":"${r2Member.replace(/\./g, '\\.')}"`))
    // From r2 (a Job there, which its own member admits), the member sees no primary across the cut.
    const fromR2 = await runOp('r2', 'status', `mongodb://${r2Member}/?directConnection=true`, {})
    expect(fromR2.result).toMatchObject({primary: null})
    expect((fromR2.result.members as StatusMember[]).filter((m) => m.state === 'DOWN').map((m) => m.host).sort()).toEqual([members[0].host, members[1].host])

    await apply('r2', policies.r2.filter((p) => p.metadata.name === 'billing-db-cross-region'))
    const healed = await until('a healthy set again', async () => {
      const run = await r1Status()
      return run.verdict === 'healthy' ? run : undefined
    })
    expect(healed).toMatchObject({majority: {votingMembers: 3, needed: 2, healthyVoters: 3}})
    expect(stateOf(healed, r2Member)).toBe('SECONDARY')
  }, 60_000)

  test('r1 loses its cross-region Job policy: a Job in r1 can no longer reach r2\'s member directly, its member links stay up', async () => {
    const jobsPolicy = policies.r1.filter((p) => p.metadata.name === 'billing-db-cross-region-jobs')
    expect(jobsPolicy).toHaveLength(1)
    await kubectl('r1', 'delete', 'networkpolicy', 'billing-db-cross-region-jobs', '-n', NAMESPACE)
    const direct = await runOp('r1', 'status', `mongodb://${r2Member}/?directConnection=true`, {})
    expect(direct.log).toMatch(/connection timed out \(billing-db-r2-0\.mygate-data\.svc\.clusterset\.local:27017\): no NetworkPolicy in mygate-data lets pod mygate-data\/\S+ connect to 10\.245\.\d+\.\d+ port 27017/)
    expect(stateOf(await r1Status(), r2Member)).toBe('SECONDARY')
    await apply('r1', jobsPolicy)
    const again = await runOp('r1', 'status', `mongodb://${r2Member}/?directConnection=true`, {})
    expect(again.result).toMatchObject({ok: true})
  }, 60_000)
})
