import {describe, expect, test} from 'vitest'

import {parseReplicationInfo, planRedisRole, redisRoleOf, renderRedisCliJob} from '../../../src/db/redis-ops.js'
import {redisTopology} from '../../../src/db/redis-topology.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {validateObjects} from '../../../src/render/validate.js'
import {parseRedisServerArgs} from '../../../src/local-cluster/data-plane/redis/redis-server.js'
import {infoReplication, RedisFleet} from '../../../src/local-cluster/data-plane/redis/redis-fleet.js'

const REPLICA_INFO = [
  '# Replication',
  'role:slave',
  'master_host:redis-r1-0.mygate-data.svc.clusterset.local',
  'master_port:6379',
  'master_link_status:down',
  'master_last_io_seconds_ago:-1',
  'master_sync_in_progress:0',
  'slave_read_repl_offset:4242',
  'slave_repl_offset:4242',
  'master_link_down_since_seconds:17',
  'slave_priority:100',
  'slave_read_only:1',
  'connected_slaves:0',
  'master_replid:8f4a6b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a',
  'master_repl_offset:4242',
].join('\r\n')

describe('parseReplicationInfo (INFO replication as Redis prints it)', () => {
  test.each([
    ['a replica whose link is down', REPLICA_INFO, {role: 'slave', masterHost: 'redis-r1-0.mygate-data.svc.clusterset.local', masterPort: 6379, linkStatus: 'down', linkDownSinceSeconds: 17, offset: 4242, connectedReplicas: 0}],
    ['a master with one replica', '# Replication\nrole:master\nconnected_slaves:1\nslave0:ip=10.0.0.7,port=6379,state=online,offset=90,lag=0\nmaster_replid:abc\nmaster_repl_offset:99\n', {role: 'master', offset: 99, connectedReplicas: 1, replid: 'abc'}],
  ])('%s', (_name, text, expected) => {
    expect(parseReplicationInfo(text)).toMatchObject(expected)
  })

  test.each(['NOAUTH Authentication required.', '', 'role:sentinel'])('not INFO replication: %j', (text) => {
    expect(parseReplicationInfo(text)).toBeUndefined()
  })

  test('the simulator\'s INFO parses back to its state', () => {
    const fleet = new RedisFleet()
    const replica = fleet.observe({cluster: 'c', namespace: 'n', pod: 'redis-0', podUid: 'u', options: {port: 6379, replicaReadOnly: true, appendonly: true, dir: '/data', replicaof: {host: 'm', port: 6379}}}, 0)
    expect(parseReplicationInfo(infoReplication(replica, 5000, []))).toMatchObject({role: 'slave', masterHost: 'm', masterPort: 6379, linkStatus: 'down', linkDownSinceSeconds: 5, offset: 0})
    fleet.promote(replica, 6000)
    expect(parseReplicationInfo(infoReplication(replica, 6000, []))).toMatchObject({role: 'master', offset: 0})
  })
})

describe('the redis-cli Job as rendered', () => {
  test('redis-cli -h -p COMMAND, the password only through REDISCLI_AUTH from the Secret, a valid Job', async () => {
    const job = (await renderRedisCliJob('dbop-redis-redis-info-x', 'redis-info', ['INFO', 'replication'], {host: 'redis-r2-0.mygate-data.svc.clusterset.local:6379'})) as KubeObject & {spec: any} // eslint-disable-line @typescript-eslint/no-explicit-any
    const container = job.spec.template.spec.containers[0]
    expect(container.command).toEqual(['redis-cli'])
    expect(container.args).toEqual(['-h', 'redis-r2-0.mygate-data.svc.clusterset.local', '-p', '6379', 'INFO', 'replication'])
    expect(container.env).toEqual([{name: 'REDISCLI_AUTH', valueFrom: {secretKeyRef: {name: 'redis-auth', key: 'password'}}}])
    await expect(validateObjects([job])).resolves.toBeUndefined()
  })
})

describe('redis-server command lines (the simulator reads them as Redis does)', () => {
  test.each([
    ['the primary', ['--port', '6379', '--appendonly', 'yes', '--dir', '/data', '--requirepass', 'pw', '--masterauth', 'pw'], {port: 6379, requirepass: 'pw', masterauth: 'pw', appendonly: true}],
    ['a replica', ['--port', '6379', '--replicaof', 'redis-r1-0.mygate-data.svc.clusterset.local', '6379', '--replica-read-only', 'yes'], {replicaof: {host: 'redis-r1-0.mygate-data.svc.clusterset.local', port: 6379}}],
  ])('%s', (_name, args, expected) => {
    expect(parseRedisServerArgs(args)).toMatchObject({ok: true, options: expected})
  })

  test.each([
    ['an unknown directive', ['--requirepas', 'pw'], "'requirepas pw'"],
    ['replicaof without a port', ['--replicaof', 'host'], "'replicaof host'"],
    ['appendonly not yes/no', ['--appendonly', 'true'], "argument must be 'yes' or 'no'"],
  ])('refuses %s', (_name, args, fragment) => {
    const launch = parseRedisServerArgs(args)
    expect(launch.ok).toBe(false)
    expect(launch.ok ? '' : launch.stderr.join('\n')).toContain(fragment)
    expect(launch.ok ? '' : launch.stderr.join('\n')).toContain('FATAL CONFIG FILE ERROR')
  })
})

describe('planRedisRole: the one redis-cli command that gives a member its role, or nothing', () => {
  const master = {role: 'master' as const, offset: 10, replid: 'a', connectedReplicas: 0}
  const slaveOf = (host: string, port = 6379) => ({role: 'slave' as const, masterHost: host, masterPort: port, linkStatus: 'down' as const, offset: 5, replid: 'a', connectedReplicas: 0})
  const newMaster = {role: 'replica' as const, of: {host: 'redis-r2-0.mygate-data.svc.clusterset.local', port: 6379}}
  test.each([
    ['a master that should stay one', master, {role: 'master' as const}, {change: false, reason: 'already a master'}],
    ['a replica to promote', slaveOf('redis-r1-0.mygate-data.svc.clusterset.local'), {role: 'master' as const}, {change: true, command: ['REPLICAOF', 'NO', 'ONE']}],
    ['the old master: follows the new one', master, newMaster, {change: true, command: ['REPLICAOF', 'redis-r2-0.mygate-data.svc.clusterset.local', '6379']}],
    ['an old replica following the old master', slaveOf('redis-0.redis.mygate-data.svc.cluster.local'), newMaster, {change: true, command: ['REPLICAOF', 'redis-r2-0.mygate-data.svc.clusterset.local', '6379']}],
    ['the same host on another port is another master', slaveOf('redis-r2-0.mygate-data.svc.clusterset.local', 6380), newMaster, {change: true, command: ['REPLICAOF', 'redis-r2-0.mygate-data.svc.clusterset.local', '6379']}],
    ['already following it (link down: it reconnects by itself)', slaveOf('redis-r2-0.mygate-data.svc.clusterset.local'), newMaster, {change: false, reason: 'already follows redis-r2-0.mygate-data.svc.clusterset.local:6379'}],
  ])('%s', (_name, info, wanted, step) => {
    expect(planRedisRole(info, wanted)).toEqual(step)
  })

  test.each([
    ['r2 active: its ordinal 0 is the master', 'r2', 0, {role: 'master'}],
    ['r2 active: r1 ordinal 0 follows r2-0 across regions', 'r1', 0, {role: 'replica', of: {host: 'redis-r2-0.mygate-data.svc.clusterset.local', port: 6379}}],
    ['r2 active: r1 ordinal 2 too', 'r1', 2, {role: 'replica', of: {host: 'redis-r2-0.mygate-data.svc.clusterset.local', port: 6379}}],
    ['r2 active: a second r2 member follows r2-0 in-cluster', 'r2', 1, {role: 'replica', of: {host: 'redis-0.redis.mygate-data.svc.cluster.local', port: 6379}}],
  ])('redisRoleOf: %s', async (_name, region, ordinal, role) => {
    const {loadCatalog} = await import('../../../src/catalog/load-catalog.js')
    const topology = redisTopology((await loadCatalog()).byName('redis')!, {tier: 'prod', regions: {primary: 'r1', secondary: 'r2'}}, 'r2')
    expect(redisRoleOf(topology, region, ordinal)).toEqual(role)
  })
})

describe('the simulated servers: writes, READONLY and REPLICAOF as Redis answers them', () => {
  const options = (replicaof?: {host: string; port: number}) => ({port: 6379, replicaReadOnly: true, appendonly: true, dir: '/data', ...(replicaof ? {replicaof} : {})})
  test('a master takes a write and its offset moves by the command\'s RESP size; a replica refuses it; REPLICAOF turns a master into a replica', () => {
    const fleet = new RedisFleet()
    const master = fleet.observe({cluster: 'c', namespace: 'n', pod: 'redis-0', podUid: 'u0', options: options()}, 0)
    const replica = fleet.observe({cluster: 'c', namespace: 'n', pod: 'redis-1', podUid: 'u1', options: options({host: 'redis-0', port: 6379})}, 0)
    expect(fleet.write(master, 'k', 'v')).toEqual({ok: true})
    // *3\r\n $3\r\nSET\r\n $1\r\nk\r\n $1\r\nv\r\n
    expect(master.offset).toBe(4 + 9 + 7 + 7)
    expect(fleet.write(replica, 'k', 'x')).toEqual({ok: false, error: "READONLY You can't write against a read only replica."})
    fleet.tick(10, () => ({ok: true, instance: master}))
    expect([replica.linkUp, replica.offset, replica.data.get('k')]).toEqual([true, master.offset, 'v'])
    expect(fleet.follow(master, {host: 'redis-r2-0', port: 6379}, 20)).toBe('OK')
    expect([master.role, master.replid2]).toEqual(['slave', replica.replid])
    expect(fleet.follow(master, {host: 'redis-r2-0', port: 6379}, 30)).toBe('OK Already connected to specified master')
  })
})
