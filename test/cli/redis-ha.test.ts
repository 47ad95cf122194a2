import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {RedisStatusView} from '../../src/db/redis-status.js'
import {parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, createWithExternalSecrets, type LocalHome} from '../helpers/local-home.js'

/**
 * Redis as a primary with replicas on a prod-tier, two-region local environment, through the built
 * CLI and checked with real kubectl: west runs three members (ordinal 0 the master, 1 and 2 its
 * replicas), east one replica; a planned switchover makes east's member the only master and every
 * west member follows it; `env diff` finds no Redis drift then (what env create renders from the
 * record's active region is what runs); failback returns the master to west.
 */
describe('mygate: Redis primary, replicas and demotion (prod tier, two regions)', () => {
  const ENV = 'rh'
  let local: LocalHome
  let kubeconfig: string

  const kubectl = async (region: string, ...args: string[]) => {
    const run = await runKubectl(['--context', `mygate-local-${ENV}-${region}`, ...args], {kubeconfig})
    expect(run.exitCode, run.stderr).toBe(0)
    return run.stdout
  }
  const role = async (region: string) => (await kubectl(region, 'get', 'configmap', 'redis-replication', '-n', 'mygate-data', '-o', 'jsonpath={.data.primary-ordinal} {.data.primary-host}')).trim()
  const redis = async (): Promise<RedisStatusView> => {
    const run = await local.cli(['db', 'status', '--env', ENV, '--service', 'redis', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    return parseEnvelope<{result: {redis: RedisStatusView}}>(run.stdout).result.redis
  }
  const healthy = async (): Promise<RedisStatusView> => {
    const deadline = Date.now() + 60_000
    for (;;) {
      const view = await redis()
      if (view.verdict === 'healthy') return view
      if (Date.now() > deadline) throw new Error(`redis not healthy: ${view.summary}`)
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  }
  const member = (region: string, ordinal: number) => `redis-${region}-${ordinal}.mygate-data.svc.clusterset.local:6379`
  const roles = (view: RedisStatusView) => view.members.map((m) => [m.host, m.role, m.follows ?? null])

  beforeAll(async () => {
    local = createLocalHome()
    const created = await createWithExternalSecrets(local, ['env', 'create', ENV, '--tier', 'prod', '--provider', 'local', '--region', 'west', '--secondary-region', 'east'], {timeoutMs: 400_000})
    expect(created.exitCode, created.stderr).toBe(0)
    kubeconfig = join(local.home, 'kubeconfig', `${ENV}.yaml`)
  }, 500_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('west: three members, ordinal 0 the only master, 1 and 2 its replicas; east: one replica of it; the apps address ordinal 0', async () => {
    expect((await kubectl('west', 'get', 'statefulset', 'redis', '-n', 'mygate-data', '-o', 'jsonpath={.status.readyReplicas}')).trim()).toBe('3')
    expect(await role('west')).toBe('0 redis-0.redis.mygate-data.svc.cluster.local')
    expect(await role('east')).toBe(`none redis-west-0.mygate-data.svc.clusterset.local`)
    const view = await healthy()
    expect(roles(view)).toEqual([
      [member('west', 0), 'master', null],
      [member('west', 1), 'slave', 'redis-0.redis.mygate-data.svc.cluster.local:6379'],
      [member('west', 2), 'slave', 'redis-0.redis.mygate-data.svc.cluster.local:6379'],
      [member('east', 0), 'slave', member('west', 0)],
    ])
    const address = await kubectl('west', 'get', 'configmap', '-n', 'mygate', '-o', 'jsonpath={.items[*].data.REDIS_ADDRESS}')
    expect(new Set(address.trim().split(/\s+/))).toEqual(new Set(['redis-0.redis.mygate-data.svc.cluster.local:6379']))
  })

  test('a planned switchover to east: east-0 the only master, every west member follows it, no drift; failback returns it', async () => {
    const failover = await local.cli(['failover', '--env', ENV, '--planned', '--confirm', ENV, '--json'], {timeoutMs: 400_000})
    expect(failover.exitCode, failover.stderr).toBe(0)
    const after = await healthy()
    expect(after.primary).toBe(member('east', 0))
    expect(roles(after)).toEqual([
      [member('east', 0), 'master', null],
      [member('west', 0), 'slave', member('east', 0)],
      [member('west', 1), 'slave', member('east', 0)],
      [member('west', 2), 'slave', member('east', 0)],
    ])
    expect([await role('east'), await role('west')]).toEqual(['0 redis-0.redis.mygate-data.svc.cluster.local', `none redis-east-0.mygate-data.svc.clusterset.local`])

    // What env create would apply now (rendered from the record's active region) is what runs:
    // Redis has no drift, so a re-render keeps east's master.
    const diff = await local.cli(['env', 'diff', ENV, '--service', 'redis', '--json', '--exit-code'])
    expect(diff.exitCode, diff.stdout).toBe(0)
    expect(parseEnvelope<{result: {activeRegion: string; drifted: boolean}}>(diff.stdout).result).toMatchObject({activeRegion: 'east', drifted: false})

    // env create re-run after the failover keeps everything where the failover put it: every
    // database's PRIMARY stays in east (its members keep the active region's priorities), east's
    // apps stay at full scale (prod gateway: 4), and Redis' master stays east-0.
    const again = await local.cli(['env', 'create', ENV, '--tier', 'prod', '--provider', 'local', '--region', 'west', '--secondary-region', 'east', '--json'], {timeoutMs: 400_000})
    expect(again.exitCode, again.stderr).toBe(0)
    const databases = parseEnvelope<{result: {databases: Array<{database: string; primaryRegion: string; reconfigured: boolean}>}}>(again.stdout).result.databases
    expect(databases.length).toBeGreaterThan(0)
    expect(databases.filter((d) => d.primaryRegion !== 'east' || d.reconfigured)).toEqual([])
    expect((await kubectl('east', 'get', 'deployment', 'gateway', '-n', 'mygate', '-o', 'jsonpath={.spec.replicas}')).trim()).toBe('4')
    expect((await healthy()).primary).toBe(member('east', 0))

    const back = await local.cli(['failback', '--env', ENV, '--confirm', ENV, '--json'], {timeoutMs: 400_000})
    expect(back.exitCode, back.stderr).toBe(0)
    const returned = await healthy()
    expect(roles(returned)).toEqual([
      [member('west', 0), 'master', null],
      [member('west', 1), 'slave', 'redis-0.redis.mygate-data.svc.cluster.local:6379'],
      [member('west', 2), 'slave', 'redis-0.redis.mygate-data.svc.cluster.local:6379'],
      [member('east', 0), 'slave', member('west', 0)],
    ])
  }, 1_200_000)
})
