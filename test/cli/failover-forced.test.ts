import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * A forced failover through the built CLI, checked with real kubectl: the active region (west) is
 * taken down with the region outage fault, `failover --forced --confirm` fences it (pending: it
 * does not answer), forces the east survivors and moves traffic; east serves at full scale and
 * holds every PRIMARY. Failback refuses while west is not fenced. When west is back, `failover
 * resume` applies the pending fence first (west's writers at zero, deny-all policy), west's
 * members rejoin and their rolled-back writes are reported; failback then returns to west.
 */
describe('mygate failover --forced (local provider, region outage)', () => {
  let local: LocalHome
  let kubeconfig: string
  const env = 'ff'

  const kubectl = async (region: string, ...args: string[]) => {
    const run = await runKubectl(['--context', `mygate-local-${env}-${region}`, ...args], {kubeconfig})
    expect(run.exitCode, run.stderr).toBe(0)
    return run.stdout
  }
  const deployments = async (region: string) => {
    const list = JSON.parse(await kubectl(region, 'get', 'deployments', '-n', 'mygate', '-o', 'json')) as {
      items: Array<{metadata: {name: string}; spec: {replicas: number}; status: {readyReplicas?: number}}>
    }
    return new Map(list.items.map((d) => [d.metadata.name, {replicas: d.spec.replicas, ready: d.status.readyReplicas ?? 0}]))
  }
  const primaries = async () => {
    const run = await local.cli(['db', 'status', '--env', env, '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const {result} = parseEnvelope<{result: {databases: Array<{database: string; primary: string | null}>}}>(run.stdout)
    return result.databases.map((d) => `${d.database}@${/-(west|east)-\d+\./.exec(d.primary ?? '')?.[1] ?? 'none'}`).sort()
  }
  const everyDatabaseIn = (region: string) =>
    ['amenities-db', 'auth-db', 'billing-db', 'maintenance-db', 'notifications-db', 'reports-db', 'users-db', 'visitors-db'].map((d) => `${d}@${region}`)
  const errorLine = (stderr: string) => {
    const lines = stderr.trimEnd().split('\n').filter((l) => l.startsWith('Error:'))
    expect(lines, stderr).toHaveLength(1)
    expect(stderr).not.toMatch(/^\s+at /m)
    return lines[0]
  }
  let westBefore: Map<string, {replicas: number; ready: number}>

  beforeAll(async () => {
    local = createLocalHome()
    const created = await local.cli(['env', 'create', env, '--region', 'west', '--secondary-region', 'east'], {timeoutMs: 200_000})
    expect(created.exitCode, created.stderr).toBe(0)
    kubeconfig = `${local.home}/kubeconfig/${env}.yaml`
    westBefore = await deployments('west')
  }, 240_000)

  afterAll(async () => {
    await local?.cleanup()
  })

  test('west down: the forced failover fences it (pending), east serves at full scale and holds every PRIMARY', async () => {
    const down = await local.cli(['local', 'fault', '--env', env, '--region-down', 'west'])
    expect(down.exitCode, down.stderr).toBe(0)
    const planned = await local.cli(['failover', '--env', env, '--planned'])
    expect(planned.exitCode).toBe(2)
    expect(errorLine(planned.stderr)).toContain('--planned needs the source region west, and it does not answer')

    const run = await local.cli(['failover', '--env', env, '--forced', '--confirm', env, '--json'], {timeoutMs: 180_000})
    expect(run.exitCode, run.stderr).toBe(0)
    const {result} = parseEnvelope<{result: {run: {outcome: string; pendingFence?: {region: string}; steps: Array<{id: string; status: string}>}; measures: {rtoMs: number}}}>(run.stdout)
    expect(result.run.outcome).toBe('succeeded')
    expect(result.run.pendingFence?.region).toBe('west')
    expect(result.run.steps[0]).toMatchObject({id: 'fence-source', status: 'done'})
    expect(result.measures.rtoMs).toBeLessThan(30_000)

    const east = await deployments('east')
    for (const [name, before] of westBefore) {
      expect(east.get(name), name).toEqual({replicas: before.replicas, ready: before.replicas})
    }
    expect(await primaries()).toEqual(everyDatabaseIn('east'))
    const dns = await local.cli(['env', 'describe', env, '--json'])
    expect(dns.stdout).toContain('east')
  }, 240_000)

  test('failback refuses while west is not fenced (it does not answer): one line, nothing switched', async () => {
    const run = await local.cli(['failback', '--env', env])
    expect(run.exitCode).toBe(6)
    expect(errorLine(run.stderr)).toContain(`failback of ${env} refused: west is not fenced yet`)
    expect(await primaries()).toEqual(everyDatabaseIn('east'))
  }, 120_000)

  test('west back: resume applies the pending fence first (writers at zero), west rejoins, rolled-back writes reported', async () => {
    const back = await local.cli(['local', 'fault', '--env', env, '--region-down', 'west', '--clear'])
    expect(back.exitCode, back.stderr).toBe(0)
    const run = await local.cli(['failover', 'resume', '--env', env, '--json'], {timeoutMs: 180_000})
    expect(run.exitCode, run.stderr).toBe(0)
    const {result} = parseEnvelope<{result: {fencesApplied: string[]; rollbacks: Array<{database: string; member: string; entries: number; namespaces: string[]; dataDirectory: string}>; run: {pendingFence?: unknown; rollbacks?: unknown[]}}}>(run.stdout)
    expect(result.fencesApplied).toEqual(['west'])
    expect(result.run.pendingFence).toBeUndefined()
    // The old primaries in west took writes east never saw (replication lags 250 ms): MongoDB
    // rolls them back as the members rejoin and keeps them in the rollback directory.
    expect(result.rollbacks.length).toBeGreaterThan(0)
    for (const r of result.rollbacks) {
      expect(r.member).toMatch(new RegExp(`^${r.database}-west-\\d+\\.`))
      expect(r.entries).toBeGreaterThan(0)
      expect(r.dataDirectory).toBe('/data/db/rollback')
    }
    expect(result.run.rollbacks).toEqual(result.rollbacks)

    const west = await deployments('west')
    for (const name of westBefore.keys()) expect(west.get(name)?.replicas, name).toBe(0)
    expect((await kubectl('west', 'get', 'networkpolicy', 'mygate-failover-fence', '-n', 'mygate', '-o', 'name')).trim()).toBe('networkpolicy.networking.k8s.io/mygate-failover-fence')
    // West's members are back in every set, as SECONDARY; the PRIMARY stays in east.
    const status = parseEnvelope<{result: {databases: Array<{members: Array<{host: string; state: string}>}>}}>((await local.cli(['db', 'status', '--env', env, '--json'])).stdout)
    for (const database of status.result.databases) {
      expect(database.members.filter((m) => m.host.includes('-west-')).map((m) => m.state)).toEqual(['SECONDARY'])
    }
    expect(await primaries()).toEqual(everyDatabaseIn('east'))
  }, 240_000)

  test('failback returns to west: the fence lifted, every Deployment back at its scale, every PRIMARY in west', async () => {
    const run = await local.cli(['failback', '--env', env, '--json'], {timeoutMs: 180_000})
    expect(run.exitCode, run.stderr).toBe(0)
    expect(parseEnvelope<{result: {plan: {mode: string; to: string}}}>(run.stdout).result.plan).toMatchObject({mode: 'planned', to: 'west'})
    const west = await deployments('west')
    for (const [name, before] of westBefore) expect(west.get(name), name).toEqual(before)
    const policies = await kubectl('west', 'get', 'networkpolicy', '-n', 'mygate', '-o', 'name')
    expect(policies).not.toContain('mygate-failover-fence')
    expect(await primaries()).toEqual(everyDatabaseIn('west'))
  }, 240_000)
})
