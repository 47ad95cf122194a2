import {spawnSync} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog} from '../../../src/catalog/types.js'
import {redisRoleData, type RedisRoleData, redisServerArgs, redisTopology} from '../../../src/db/redis-topology.js'
import {entrypointDecision} from '../../../src/local-cluster/data-plane/redis/redis-entrypoint.js'
import {parseRedisServerArgs} from '../../../src/local-cluster/data-plane/redis/redis-server.js'
import {packageRoot} from '../../../src/package-root.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {objectsForRegion} from '../../../src/render/labels.js'
import {renderService} from '../../../src/render/render-environment.js'
import {validateObjects} from '../../../src/render/validate.js'
import {testEnvironment} from '../../helpers/builders.js'

let catalog: Catalog
beforeAll(async () => {
  catalog = await loadCatalog()
})

type Obj = KubeObject & {spec: any} // eslint-disable-line @typescript-eslint/no-explicit-any

type Row = [host: string, region: string, role: string, follows: string | undefined]
const local = (i: number) => `redis-${i}.redis.mygate-data.svc.cluster.local:6379`
const set = (region: string, i: number) => `redis-${region}-${i}.mygate-data.svc.clusterset.local:6379`

describe('redisTopology: ordinal 0 of the active region is the master, every other member follows it', () => {
  test.each<[string, 'dev' | 'prod', string | undefined, string | undefined, Row[], Record<string, number>]>([
    ['dev, one region', 'dev', undefined, undefined, [[local(0), 'r1', 'primary', undefined]], {r1: 1}],
    ['prod, one region: a primary and two replicas by their in-cluster names', 'prod', undefined, undefined, [[local(0), 'r1', 'primary', undefined], [local(1), 'r1', 'replica', local(0)], [local(2), 'r1', 'replica', local(0)]], {r1: 3}],
    [
      'prod, two regions, r1 active: r1 replicas follow in-cluster, r2 by the clusterset name',
      'prod',
      'r2',
      undefined,
      [
        [set('r1', 0), 'r1', 'primary', undefined],
        [set('r1', 1), 'r1', 'replica', local(0)],
        [set('r1', 2), 'r1', 'replica', local(0)],
        [set('r2', 0), 'r2', 'replica', set('r1', 0)],
      ],
      {r1: 3, r2: 1},
    ],
    [
      'prod, two regions, r2 active after a failover: sizes stay, roles move',
      'prod',
      'r2',
      'r2',
      [
        [set('r2', 0), 'r2', 'primary', undefined],
        [set('r1', 0), 'r1', 'replica', set('r2', 0)],
        [set('r1', 1), 'r1', 'replica', set('r2', 0)],
        [set('r1', 2), 'r1', 'replica', set('r2', 0)],
      ],
      {r1: 3, r2: 1},
    ],
    ['an unknown active region falls back to the configured primary', 'dev', 'r2', 'r9', [[set('r1', 0), 'r1', 'primary', undefined], [set('r2', 0), 'r2', 'replica', set('r1', 0)]], {r1: 1, r2: 1}],
  ])('%s', (_name, tier, secondary, active, members, replicas) => {
    const topology = redisTopology(catalog.byName('redis')!, {tier, regions: {primary: 'r1', ...(secondary ? {secondary} : {})}}, active)
    expect(topology.members.map((m) => [m.host, m.region, m.role, m.follows])).toEqual(members)
    expect(topology.replicasByRegion).toEqual(replicas)
    expect(topology.members.filter((m) => m.role === 'primary')).toHaveLength(1)
  })

  test.each([
    ['one region', undefined, undefined, 'r1', {'primary-ordinal': '0', 'primary-host': 'redis-0.redis.mygate-data.svc.cluster.local', 'primary-port': '6379'}],
    ['two regions, the active one', 'r2', 'r1', 'r1', {'primary-ordinal': '0', 'primary-host': 'redis-0.redis.mygate-data.svc.cluster.local', 'primary-port': '6379'}],
    ['two regions, the standby one', 'r2', 'r1', 'r2', {'primary-ordinal': 'none', 'primary-host': 'redis-r1-0.mygate-data.svc.clusterset.local', 'primary-port': '6379'}],
    ['after a failover, the old region', 'r2', 'r2', 'r1', {'primary-ordinal': 'none', 'primary-host': 'redis-r2-0.mygate-data.svc.clusterset.local', 'primary-port': '6379'}],
  ])('role data: %s', (_name, secondary, active, region, data) => {
    const topology = redisTopology(catalog.byName('redis')!, {tier: 'prod', regions: {primary: 'r1', ...(secondary ? {secondary} : {})}}, active)
    expect(redisRoleData(topology, region)).toEqual(data)
  })

  test('redis-server arguments: the same for every member, the password only as $(ENV), each a documented directive', () => {
    const topology = redisTopology(catalog.byName('redis')!, {tier: 'dev', regions: {primary: 'r1', secondary: 'r2'}})
    const args = redisServerArgs(topology, 'REDIS_PASSWORD')
    expect(args).toEqual(['redis-server', '--port', '6379', '--appendonly', 'yes', '--dir', '/data', '--replica-read-only', 'yes', '--requirepass', '$(REDIS_PASSWORD)', '--masterauth', '$(REDIS_PASSWORD)'])
    // The local data plane knows redis.conf's documented directives and fails on any other, as Redis does.
    const parsed = parseRedisServerArgs([...args.slice(1), '--replicaof', 'redis-0.redis.mygate-data.svc.cluster.local', '6379'])
    expect(parsed).toMatchObject({ok: true, options: {port: 6379, appendonly: true, replicaReadOnly: true, requirepass: '$(REDIS_PASSWORD)', replicaof: {host: 'redis-0.redis.mygate-data.svc.cluster.local', port: 6379}}})
    expect(parseRedisServerArgs(['--replica-of', 'x', '6379'])).toMatchObject({ok: false})
  })
})

describe('the shipped entrypoint (templates/redis/replication/entrypoint.sh) run by a real sh', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-redis-entry-'))
    mkdirSync(join(dir, 'bin'))
    // A stand-in redis-server that prints the arguments it was exec'd with, one a line.
    writeFileSync(join(dir, 'bin', 'redis-server'), '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done\n', {mode: 0o755})
    copyFileSync(join(packageRoot, 'templates', 'redis', 'replication', 'entrypoint.sh'), join(dir, 'entrypoint.sh'))
  })
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  const run = (podName: string, role: RedisRoleData) => {
    for (const [key, value] of Object.entries(role)) writeFileSync(join(dir, key), value)
    const result = spawnSync('sh', [join(dir, 'entrypoint.sh'), 'redis-server', '--port', '6379'], {env: {PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, REDIS_POD_NAME: podName}, encoding: 'utf8'})
    return {status: result.status, args: result.stdout.split('\n').filter((l) => l !== ''), stderr: result.stderr}
  }
  const active = {'primary-ordinal': '0', 'primary-host': 'redis-0.redis.mygate-data.svc.cluster.local', 'primary-port': '6379'}
  const standby = {'primary-ordinal': 'none', 'primary-host': 'redis-r2-0.mygate-data.svc.clusterset.local', 'primary-port': '6379'}

  test.each([
    ['ordinal 0 of the active region: the master', 'redis-0', active, []],
    ['ordinal 2 of the active region: a replica of ordinal 0', 'redis-2', active, ['--replicaof', 'redis-0.redis.mygate-data.svc.cluster.local', '6379']],
    ['ordinal 10 is not ordinal 0', 'redis-10', active, ['--replicaof', 'redis-0.redis.mygate-data.svc.cluster.local', '6379']],
    ['ordinal 0 of a standby region: a replica of the active master', 'redis-0', standby, ['--replicaof', 'redis-r2-0.mygate-data.svc.clusterset.local', '6379']],
    ['a StatefulSet name with dashes', 'my-redis-0', active, []],
  ])('%s', (_name, podName, role, extra) => {
    const ran = run(podName, role)
    expect(ran.status).toBe(0)
    expect(ran.args).toEqual(['--port', '6379', ...extra])
    expect(entrypointDecision({podName, primaryOrdinal: role['primary-ordinal'], primaryHost: role['primary-host'], primaryPort: role['primary-port']})).toEqual({ok: true, extraArgs: extra})
  })

  test.each([['redis'], ['redis-x'], ['']])('no ordinal in pod name %j: the script and the simulation refuse to start', (podName) => {
    const ran = run(podName, active)
    expect(ran.status).not.toBe(0)
    expect(ran.stderr).toMatch(/no StatefulSet ordinal/)
    expect(entrypointDecision({podName, primaryOrdinal: '0', primaryHost: 'h', primaryPort: '6379'})).toMatchObject({ok: false})
  })
})

describe('redis as rendered', () => {
  const container = (set: Obj) => set.spec.template.spec.containers[0]
  test('two regions: a StatefulSet and a role ConfigMap per region, the same command everywhere, a Service per member', async () => {
    const env = testEnvironment({tier: 'prod', regions: {primary: 'r1', secondary: 'r2'}})
    const objects = await renderService(catalog.byName('redis')!, env, {catalog})
    const script = readFileSync(join(packageRoot, 'templates', 'redis', 'replication', 'entrypoint.sh'), 'utf8')
    for (const [region, replicas, ordinal, host] of [['r1', 3, '0', 'redis-0.redis.mygate-data.svc.cluster.local'], ['r2', 1, 'none', 'redis-r1-0.mygate-data.svc.clusterset.local']] as const) {
      const own = objectsForRegion(objects, region) as Obj[]
      const sets = own.filter((o) => o.kind === 'StatefulSet')
      expect(sets).toHaveLength(1)
      expect(sets[0].spec.replicas).toBe(replicas)
      expect(container(sets[0]).command).toEqual(['sh', '/etc/redis-replication/entrypoint.sh'])
      expect(container(sets[0]).args).not.toContain('--replicaof')
      expect(container(sets[0]).env).toContainEqual({name: 'REDIS_POD_NAME', valueFrom: {fieldRef: {fieldPath: 'metadata.name'}}})
      expect(sets[0].spec.template.spec.volumes).toContainEqual({name: 'replication', configMap: {name: 'redis-replication'}})
      expect(JSON.stringify(sets[0])).not.toMatch(/"value":/)
      const maps = own.filter((o) => o.kind === 'ConfigMap') as unknown as Array<KubeObject & {data: Record<string, string>}>
      expect(maps.map((m) => m.metadata.name)).toEqual(['redis-replication'])
      expect(maps[0].data).toEqual({'entrypoint.sh': script, 'primary-ordinal': ordinal, 'primary-host': host, 'primary-port': '6379'})
      const members = region === 'r1' ? ['redis-r1-0', 'redis-r1-1', 'redis-r1-2'] : ['redis-r2-0']
      expect(own.filter((o) => o.kind === 'Service').map((o) => o.metadata.name).sort()).toEqual(['redis', ...members])
    }
    await expect(validateObjects(objects)).resolves.toBeUndefined()
  })

  test('a re-render after a failover (active region r2) keeps the live roles and changes no StatefulSet', async () => {
    const env = testEnvironment({tier: 'prod', regions: {primary: 'r1', secondary: 'r2'}})
    const before = await renderService(catalog.byName('redis')!, env, {catalog})
    const after = await renderService(catalog.byName('redis')!, env, {catalog, activeRegion: 'r2'})
    const role = (objects: KubeObject[], region: string) => ((objectsForRegion(objects, region) as Array<KubeObject & {data: Record<string, string>}>).find((o) => o.kind === 'ConfigMap')!.data)['primary-ordinal']
    expect([role(after, 'r1'), role(after, 'r2')]).toEqual(['none', '0'])
    expect(after.filter((o) => o.kind === 'StatefulSet')).toEqual(before.filter((o) => o.kind === 'StatefulSet'))
  })

  test('one region: one StatefulSet and ConfigMap, no per-member Service, no region label', async () => {
    const objects = await renderService(catalog.byName('redis')!, testEnvironment({tier: 'dev'}), {catalog})
    const sets = objects.filter((o) => o.kind === 'StatefulSet') as Obj[]
    expect(sets).toHaveLength(1)
    expect(sets[0].metadata.labels?.['mygate.dev/region']).toBeUndefined()
    expect(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.labels?.['mygate.dev/region'])).toEqual([undefined])
    expect(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name)).toEqual(['redis'])
  })

  test('the apps reach the master only: ordinal 0 by its own name, not the headless Service of every member', async () => {
    const objects = await renderService(catalog.byName('notifications')!, testEnvironment({tier: 'prod'}), {catalog})
    const config = objects.find((o) => o.kind === 'ConfigMap') as KubeObject & {data: Record<string, string>}
    expect(config.data.REDIS_ADDRESS).toBe('redis-0.redis.mygate-data.svc.cluster.local:6379')
  })
})

describe('the stores\' NetworkPolicies admit mygate\'s Jobs', () => {
  const ingressSelectors = (objects: KubeObject[], name: string) =>
    ((objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === name) as Obj).spec.ingress as Array<{from: Array<{podSelector?: {matchLabels: Record<string, string>}}>}>).flatMap((rule) => rule.from.map((peer) => peer.podSelector?.matchLabels))

  test('redis: its redis-cli Jobs (db-ops, database redis)', async () => {
    const objects = await renderService(catalog.byName('redis')!, testEnvironment(), {catalog})
    expect(ingressSelectors(objects, 'redis')).toContainEqual({'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': 'redis'})
  })

  test('a MongoDB database: its own Jobs and the status Job of every database', async () => {
    const objects = await renderService(catalog.byName('billing-db')!, testEnvironment(), {catalog})
    const selectors = ingressSelectors(objects, 'billing-db')
    expect(selectors).toContainEqual({'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': 'billing-db'})
    expect(selectors).toContainEqual({'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': 'all'})
  })
})
