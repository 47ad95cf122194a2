import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {DatabaseStatusReport} from '../../src/db/status.js'
import type {DatabaseFormation} from '../../src/db/form-replica-sets.js'
import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * Databases for real, through the built mygate and real kubectl, on one two-region environment:
 * env create forms one replica set per database spanning both regions with a PRIMARY, kubectl
 * sees the members' pods in both clusters, `db status` shows one set per database, a lag fault
 * shows as degraded, the primary region's outage as no primary (and the region as unreachable).
 */
const DATABASES = ['amenities-db', 'auth-db', 'billing-db', 'maintenance-db', 'notifications-db', 'reports-db', 'users-db', 'visitors-db']

describe('mygate db on a two-region local environment', () => {
  let local: LocalHome
  let created: {kubeconfig: string; contexts: Record<string, string>; databases: DatabaseFormation[]}
  const status = async (...args: string[]) => {
    const run = await local.cli(['db', 'status', '--env', 'demo2', '--json', ...args])
    expect(run.exitCode, run.stderr).toBe(0)
    return parseEnvelope<{result: DatabaseStatusReport}>(run.stdout).result
  }
  const until = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = await check()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }

  beforeAll(async () => {
    local = createLocalHome()
    const run = await local.cli(['env', 'create', 'demo2', '--region', 'local-1', '--secondary-region', 'local-2', '--json'])
    if (run.exitCode !== 0) throw new Error(`env create failed (${run.exitCode}): ${run.stderr}`)
    created = parseEnvelope<{result: typeof created}>(run.stdout).result
  }, 240_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('env create reports one PRIMARY per database, in the primary region; progress names each', async () => {
    expect(created.databases.map((d) => d.database).sort()).toEqual(DATABASES)
    for (const d of created.databases) {
      expect(d.primary).toBe(`${d.database}-local-1-0.mygate-data.svc.clusterset.local:27017`)
      expect(d).toMatchObject({primaryRegion: 'local-1', members: 2, initiated: true, reconfigured: true, changed: true})
    }
  })

  test('kubectl shows every member pod Ready in both clusters, and a Service per member in its own region only', async () => {
    for (const region of ['local-1', 'local-2']) {
      const pods = await runKubectl(['--context', created.contexts[region], 'get', 'pods', '-n', 'mygate-data', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}'], {kubeconfig: created.kubeconfig})
      expect(pods.exitCode, pods.stderr).toBe(0)
      const ready = new Map(pods.stdout.trim().split('\n').map((line) => line.split('=') as [string, string]))
      for (const db of DATABASES) expect(ready.get(`${db}-0`), `${region} ${db}-0`).toBe('True')
      const services = await runKubectl(['--context', created.contexts[region], 'get', 'services', '-n', 'mygate-data', '-l', 'mygate.dev/region', '-o', 'jsonpath={.items[*].metadata.name}'], {kubeconfig: created.kubeconfig})
      // MongoDB's members and Redis' (src/db/redis-topology.ts).
      expect(services.stdout.split(' ').sort()).toEqual([...DATABASES, 'redis'].map((store) => `${store}-${region}-0`).sort())
    }
    // The Jobs that formed the sets are gone (succeeded Jobs are deleted). The backup CronJobs'
    // runs (an oplog slice every 2 minutes) are not formation Jobs: left out by their label.
    const jobs = await runKubectl(['--context', created.contexts['local-1'], 'get', 'jobs', '-n', 'mygate-data', '-l', '!mygate.dev/backup-schedule', '-o', 'name'], {kubeconfig: created.kubeconfig})
    expect(jobs.stdout.trim()).toBe('')
  })

  test('a second env create changes nothing in the databases', async () => {
    const run = await local.cli(['env', 'create', 'demo2', '--region', 'local-1', '--secondary-region', 'local-2', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const again = parseEnvelope<{result: {databases: DatabaseFormation[]}}>(run.stdout).result.databases
    expect(again.every((d) => !d.changed && d.primaryRegion === 'local-1')).toBe(true)
  }, 120_000)

  test('db status: one healthy set per database spanning both regions, with data and an oplog window', async () => {
    const report = await status()
    expect(report.regions.map((r) => [r.region, r.reachable])).toEqual([['local-1', true], ['local-2', true]])
    expect(report.databases.map((d) => d.database)).toEqual(DATABASES)
    for (const d of report.databases) {
      expect(d.verdict, d.summary).toBe('healthy')
      expect(d.members.map((m) => [m.region, m.state, m.priority, m.votes])).toEqual([['local-1', 'PRIMARY', 2, 1], ['local-2', 'SECONDARY', 0, 0]])
      expect(d.oplog?.windowSeconds).toEqual(expect.any(Number))
    }
    const billing = await until('billing documents', async () => {
      const one = (await status('--service', 'billing')).databases[0]
      return one.collections.some((c) => c.count > 0) ? one : undefined
    })
    expect(billing.database).toBe('billing-db')
    expect(billing.collections.map((c) => c.name).every((n) => ['invoices', 'payments'].includes(n))).toBe(true)
    const text = await local.cli(['db', 'status', '--env', 'demo2', '--service', 'billing-db'])
    expect(text.stdout).toMatch(/✔ billing-db: healthy \(primary billing-db-local-1-0\.mygate-data\.svc\.clusterset\.local:27017\)/)
    expect(text.stdout).toMatch(/local-2:\n\s+billing-db-local-2-0\S+ SECONDARY/)
  }, 90_000)

  test('Redis: the primary region\'s master and the secondary region\'s replica, linked through the clusterset name', async () => {
    const redis = await until('the replica linked', async () => {
      const r = (await status()).redis
      return r?.verdict === 'healthy' ? r : undefined
    })
    expect(redis.members.map((m) => [m.host, m.region, m.role, m.linkStatus])).toEqual([
      ['redis-local-1-0.mygate-data.svc.clusterset.local:6379', 'local-1', 'master', undefined],
      ['redis-local-2-0.mygate-data.svc.clusterset.local:6379', 'local-2', 'slave', 'up'],
    ])
    // kubectl: the replica runs the entrypoint, the password only as $(REDIS_PASSWORD); its region's
    // role ConfigMap names the primary's cross-region name (the entrypoint adds --replicaof it).
    const args = await runKubectl(['--context', created.contexts['local-2'], 'get', 'pod', 'redis-0', '-n', 'mygate-data', '-o', 'jsonpath={.spec.containers[0].args}'], {kubeconfig: created.kubeconfig})
    expect(JSON.parse(args.stdout)).toEqual(expect.arrayContaining(['redis-server', '--requirepass', '$(REDIS_PASSWORD)']))
    const role = await runKubectl(['--context', created.contexts['local-2'], 'get', 'configmap', 'redis-replication', '-n', 'mygate-data', '-o', 'jsonpath={.data.primary-ordinal} {.data.primary-host}'], {kubeconfig: created.kubeconfig})
    expect(role.stdout).toBe('none redis-local-1-0.mygate-data.svc.clusterset.local')
    const only = await status('--service', 'redis')
    expect(only.databases).toEqual([])
    expect(only.redis?.verdict).toBe('healthy')
    const text = await local.cli(['db', 'status', '--env', 'demo2', '--service', 'redis'])
    expect(text.stdout).toMatch(/✔ redis: healthy \(primary redis-local-1-0\.mygate-data\.svc\.clusterset\.local:6379\)/)
    expect(text.stdout).toMatch(/redis-local-2-0\S+ +slave +offset \d+ +link up/)
  }, 60_000)

  test('deploy billing-db upgrades by role; a dev set\'s only electable member restarts last, as primary', async () => {
    const run = await local.cli(['deploy', 'billing-db', '--env', 'demo2', '--version', '7.0.14', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const result = parseEnvelope<{result: {databases: Array<{service: string; image: string; restarted: Array<{host: string; region: string; role: string; steppedDown?: boolean}>; primaryAfter: string}>}}>(run.stdout).result
    const [billing] = result.databases
    expect(billing.image).toBe('mongo:7.0.14')
    expect(billing.restarted).toEqual([
      {host: 'billing-db-local-2-0.mygate-data.svc.clusterset.local:27017', region: 'local-2', role: 'secondary'},
      {host: 'billing-db-local-1-0.mygate-data.svc.clusterset.local:27017', region: 'local-1', role: 'primary', steppedDown: false},
    ])
    expect(billing.primaryAfter).toBe('billing-db-local-1-0.mygate-data.svc.clusterset.local:27017')
    for (const region of ['local-1', 'local-2']) {
      const image = await runKubectl(['--context', created.contexts[region], 'get', 'pod', 'billing-db-0', '-n', 'mygate-data', '-o', 'jsonpath={.spec.containers[0].image}'], {kubeconfig: created.kubeconfig})
      expect(image.stdout, region).toBe('mongo:7.0.14')
    }
    expect((await status('--service', 'billing-db')).databases[0].verdict).toBe('healthy')
    const refused = await local.cli(['deploy', 'billing-db', '--env', 'demo2', '--version', '7.0.15', '--canary'])
    expect(refused.exitCode).toBe(2)
    expect(expectOneLineError(refused)).toContain('--canary does not apply to billing-db: a database is upgraded by role')
  }, 120_000)

  test.each([
    [['--service', 'gateway'], 2, 'service "gateway" has no database'],
    [['--service', 'nope'], 3, 'unknown service "nope": expected one of amenities-db, auth-db'],
    [['--region', 'local-9'], 2, 'environment demo2 has no region "local-9"'],
  ])('db status %j exits %i: %s', async (args, code, message) => {
    const run = await local.cli(['db', 'status', '--env', 'demo2', ...args])
    expect(run.exitCode).toBe(code)
    expect(expectOneLineError(run)).toContain(message)
  })

  test('an unknown environment exits 3', async () => {
    const run = await local.cli(['db', 'status', '--env', 'nosuch'])
    expect(run.exitCode).toBe(3)
    expect(expectOneLineError(run)).toContain('environment "nosuch" not found')
  })

  test('a replication-lag fault shows as degraded, naming the lagging member', async () => {
    const fault = await local.cli(['local', 'fault', '--env', 'demo2', '--service', 'billing-db', '--replication-lag', '2m', '--region', 'local-2'])
    expect(fault.exitCode, fault.stderr).toBe(0)
    const billing = await until('billing-db degraded', async () => {
      const one = (await status('--service', 'billing-db')).databases[0]
      return one.verdict === 'degraded' ? one : undefined
    })
    expect(billing.summary).toMatch(/^degraded \(primary billing-db-local-1-0\S+\): billing-db-local-2-0\.mygate-data\.svc\.clusterset\.local:27017: lag \d+s > 10s$/)
    expect(billing.members.find((m) => m.region === 'local-2')!.lagSeconds).toBeGreaterThan(10)
    await local.cli(['local', 'fault', '--env', 'demo2', '--service', 'billing-db', '--replication-lag', '2m', '--region', 'local-2', '--clear'])
  }, 90_000)

  test('the primary region down: unreachable, and every set has no primary (its majority is gone)', async () => {
    const down = await local.cli(['local', 'fault', '--env', 'demo2', '--region-down', 'local-1'])
    expect(down.exitCode, down.stderr).toBe(0)
    try {
      const report = await until('no primary anywhere', async () => {
        const r = await status()
        return r.databases.every((d) => d.verdict === 'no-primary') ? r : undefined
      })
      expect(report.regions.find((r) => r.region === 'local-1')).toMatchObject({reachable: false})
      for (const d of report.databases) {
        expect(d.ranIn).toBe('local-2')
        expect(d.members.map((m) => [m.region, m.state])).toEqual([['local-1', 'DOWN'], ['local-2', 'SECONDARY']])
      }
      // Redis: the primary is gone, the replica's link is down (its data as of then).
      expect(report.redis?.members.map((m) => [m.region, m.role, m.linkStatus])).toEqual([['local-1', 'unreachable', undefined], ['local-2', 'slave', 'down']])
      expect(report.redis?.verdict).toBe('no-primary')
      const text = await local.cli(['db', 'status', '--env', 'demo2', '--service', 'billing-db'])
      expect(text.stdout).toMatch(/Region local-1 \[primary\]: unreachable/)
      expect(text.stdout).toMatch(/✖ billing-db: no primary/)
    } finally {
      await local.cli(['local', 'fault', '--env', 'demo2', '--region-down', 'local-1', '--clear'])
    }
  }, 90_000)
})
