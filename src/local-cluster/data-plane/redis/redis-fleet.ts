import {randomBytes} from 'node:crypto'

import type {RedisLaunchOptions} from './redis-server.js'

/**
 * The simulated Redis servers of the local data plane (a simulation, documented as one): each
 * running redis-server container is an instance with Redis' replication state as INFO
 * replication reports it (https://redis.io/docs/latest/commands/info/): its role, for a replica
 * the master's host and port, the link status and since when it is down, and replication offsets
 * with the replication ID.
 *
 * Rules followed (Redis replication, https://redis.io/docs/latest/operate/oss_and_stack/management/replication/):
 * - a replica's link is up while its master's name resolves to a running redis-server whose
 *   region is up, which is a master, and which accepts the replica's `masterauth` when it has a
 *   `requirepass`; while up, the replica has the master's replication ID and offset (a full sync
 *   when the IDs differ, then the stream: lag is below the simulation's tick); while down, its
 *   offset stays where it was;
 * - `REPLICAOF NO ONE` makes a replica a master: a new replication ID, the old one kept as
 *   `master_replid2` with `second_repl_offset` (PSYNC after a failover); `REPLICAOF HOST PORT`
 *   makes any member a replica of that master (the link comes up at the next tick if the master
 *   answers and accepts its masterauth; its dataset is then the master's: a full sync). Both are in
 *   memory only, as in Redis (a restart reads the command line again, which mygate's entrypoint
 *   builds from the region's role, templates/redis/replication/entrypoint.sh);
 * - writes (`SET`) go to a master; a replica with `replica-read-only yes` refuses them with
 *   Redis' `READONLY You can't write against a read only replica.`; a write moves the master's
 *   offset by the command's size in the replication stream (RESP);
 * - a restarted instance starts at offset 0 with a new replication ID, and with the dataset its
 *   data directory holds (redis-datasets.ts: the AOF on its claim), or empty.
 * Simulation choices: a master's offset also grows by {@link OFFSET_BYTES_PER_SECOND} (the apps'
 * writes and the master's PINGs to its replicas); a linked replica has the master's dataset and
 * offset at each tick (its lag is below the tick); replication state is not persisted (a daemon
 * restart is a restart of every redis-server), datasets are (redis-datasets.ts).
 */

export const OFFSET_BYTES_PER_SECOND = 512

export interface RedisInstance {
  /** `CLUSTER/NAMESPACE/POD`. */
  key: string
  cluster: string
  namespace: string
  pod: string
  podUid: string
  options: RedisLaunchOptions
  role: 'master' | 'slave'
  master?: {host: string; port: number}
  replid: string
  replid2: string
  secondReplOffset: number
  offset: number
  /** The dataset (string keys only: what mygate's tests and the apps' sessions need). */
  data: Map<string, string>
  /** Stamp of the dataset's last change (fleet-wide), so it is saved only when it changed. */
  dataVersion: number
  /** A replica: its master's stamp when it last copied the master's dataset. */
  masterVersion?: number
  /** The identity of the volume behind `dir` (claim by name and uid), when it persists its dataset. */
  volume?: string
  linkUp: boolean
  /** When the link went down (or the replica started without one), ms. */
  linkDownSince?: number
  lastIoAt?: number
  startedAt: number
  up: boolean
  lastTickAt: number
}

/** What a replica's master name resolves to: the instance behind it, or why none answers. */
export type MasterLookup = {ok: true; instance: RedisInstance} | {ok: false}

export const newReplicationId = (): string => randomBytes(20).toString('hex')
const NO_REPLID = '0'.repeat(40)

export class RedisFleet {
  readonly instances = new Map<string, RedisInstance>()
  private changes = 0

  /**
   * A running redis-server container (called at each tick for every running one). A new instance
   * starts with what `load` returns: the dataset its data directory holds.
   */
  observe(input: {cluster: string; namespace: string; pod: string; podUid: string; options: RedisLaunchOptions; volume?: string; load?: () => Map<string, string> | undefined}, now: number): RedisInstance {
    const key = `${input.cluster}/${input.namespace}/${input.pod}`
    let instance = this.instances.get(key)
    if (!instance || instance.podUid !== input.podUid || !instance.up) {
      instance = {
        key,
        cluster: input.cluster,
        namespace: input.namespace,
        pod: input.pod,
        podUid: input.podUid,
        options: input.options,
        role: input.options.replicaof ? 'slave' : 'master',
        ...(input.options.replicaof ? {master: input.options.replicaof} : {}),
        replid: newReplicationId(),
        replid2: NO_REPLID,
        secondReplOffset: -1,
        offset: 0,
        data: input.load?.() ?? new Map(),
        dataVersion: ++this.changes,
        ...(input.volume ? {volume: input.volume} : {}),
        linkUp: false,
        ...(input.options.replicaof ? {linkDownSince: now} : {}),
        startedAt: now,
        up: true,
        lastTickAt: now,
      }
      this.instances.set(key, instance)
    }
    return instance
  }

  /** Instances whose container no longer runs (or whose region is down) stop. */
  markDown(running: ReadonlySet<string>): void {
    for (const instance of this.instances.values()) if (!running.has(instance.key)) instance.up = false
  }

  /** Advances offsets and links; `lookup` resolves a replica's master name from its own cluster. */
  tick(now: number, lookup: (replica: RedisInstance) => MasterLookup): void {
    for (const instance of this.instances.values()) {
      if (!instance.up || instance.role !== 'master') continue
      const elapsed = Math.max(0, now - instance.lastTickAt)
      instance.offset += Math.round((elapsed / 1000) * OFFSET_BYTES_PER_SECOND)
      instance.lastTickAt = now
    }
    for (const instance of this.instances.values()) {
      if (!instance.up || instance.role !== 'slave') continue
      instance.lastTickAt = now
      const master = lookup(instance)
      const accepted = master.ok && master.instance.up && master.instance.role === 'master' && (master.instance.options.requirepass === undefined || master.instance.options.requirepass === instance.options.masterauth)
      if (accepted && master.ok) {
        if (instance.replid !== master.instance.replid || instance.masterVersion !== master.instance.dataVersion) {
          instance.data = new Map(master.instance.data)
          instance.dataVersion = ++this.changes
          instance.masterVersion = master.instance.dataVersion
        }
        instance.replid = master.instance.replid
        instance.offset = master.instance.offset
        instance.linkUp = true
        instance.lastIoAt = now
        delete instance.linkDownSince
      } else if (instance.linkUp) {
        instance.linkUp = false
        instance.linkDownSince = now
      }
    }
  }

  /** `REPLICAOF NO ONE`. */
  promote(instance: RedisInstance, now: number): void {
    if (instance.role === 'master') return
    instance.replid2 = instance.replid
    instance.secondReplOffset = instance.offset + 1
    instance.replid = newReplicationId()
    instance.role = 'master'
    delete instance.master
    instance.linkUp = false
    delete instance.linkDownSince
    instance.lastTickAt = now
  }

  /**
   * `REPLICAOF HOST PORT`: follow that master from now on (Redis answers `OK Already connected to
   * specified master` when it already does). A master that becomes a replica keeps its replication
   * ID as `master_replid2` (so a later PSYNC can continue), as Redis does.
   */
  follow(instance: RedisInstance, master: {host: string; port: number}, now: number): 'OK' | 'OK Already connected to specified master' {
    if (instance.role === 'slave' && instance.master?.host === master.host && instance.master.port === master.port) return 'OK Already connected to specified master'
    if (instance.role === 'master') {
      instance.replid2 = instance.replid
      instance.secondReplOffset = instance.offset + 1
    }
    instance.role = 'slave'
    instance.master = {...master}
    instance.linkUp = false
    instance.linkDownSince = now
    instance.lastTickAt = now
    return 'OK'
  }

  /** `SET key value` on a master: the dataset and the replication stream (RESP bytes). */
  write(instance: RedisInstance, key: string, value: string): {ok: true} | {ok: false; error: string} {
    if (instance.role === 'slave' && instance.options.replicaReadOnly) return {ok: false, error: "READONLY You can't write against a read only replica."}
    instance.data.set(key, value)
    instance.dataVersion = ++this.changes
    instance.offset += respSize(['SET', key, value])
    return {ok: true}
  }

  /** The replicas linked to a master now. */
  replicasOf(master: RedisInstance, lookup: (replica: RedisInstance) => MasterLookup): RedisInstance[] {
    return [...this.instances.values()].filter((r) => r.up && r.role === 'slave' && r.linkUp && (() => {
      const found = lookup(r)
      return found.ok && found.instance === master
    })())
  }
}

/**
 * INFO replication as Redis prints it (fields and order of the INFO command's reference), CRLF
 * line ends; `connected` are the replicas linked to this master.
 */
export function infoReplication(instance: RedisInstance, now: number, connected: RedisInstance[]): string {
  const lines = ['# Replication', `role:${instance.role}`]
  if (instance.role === 'slave' && instance.master) {
    lines.push(`master_host:${instance.master.host}`, `master_port:${instance.master.port}`, `master_link_status:${instance.linkUp ? 'up' : 'down'}`)
    lines.push(`master_last_io_seconds_ago:${instance.linkUp && instance.lastIoAt !== undefined ? Math.floor((now - instance.lastIoAt) / 1000) : -1}`)
    lines.push('master_sync_in_progress:0', `slave_read_repl_offset:${instance.offset}`, `slave_repl_offset:${instance.offset}`)
    if (!instance.linkUp && instance.linkDownSince !== undefined) lines.push(`master_link_down_since_seconds:${Math.floor((now - instance.linkDownSince) / 1000)}`)
    lines.push('slave_priority:100', `slave_read_only:${instance.options.replicaReadOnly ? 1 : 0}`, 'replica_announced:1')
  }
  lines.push(`connected_slaves:${connected.length}`)
  connected.forEach((replica, i) => lines.push(`slave${i}:ip=${replica.pod},port=${replica.options.port},state=online,offset=${replica.offset},lag=0`))
  lines.push('master_failover_state:no-failover', `master_replid:${instance.replid}`, `master_replid2:${instance.replid2}`)
  lines.push(`master_repl_offset:${instance.offset}`, `second_repl_offset:${instance.secondReplOffset}`, 'repl_backlog_active:1', 'repl_backlog_size:1048576', 'repl_backlog_first_byte_offset:1', `repl_backlog_histlen:${instance.offset}`)
  return lines.join('\r\n')
}

/** Bytes of a command in the replication stream (RESP array of bulk strings). */
export function respSize(words: readonly string[]): number {
  let size = `*${words.length}\r\n`.length
  for (const word of words) {
    const bytes = Buffer.byteLength(word)
    size += `$${bytes}\r\n`.length + bytes + 2
  }
  return size
}
