import {randomBytes} from 'node:crypto'
import {join} from 'node:path'

import type {KubeObject} from '../../kube/types.js'
import {isPodActive} from '../controllers/pod-state.js'
import {faultsFor, podIdentity} from '../faults/faults-for.js'
import {listFaults} from '../faults/fault-store.js'
import type {ContainerLogs} from '../kubelet/container-logs.js'
import type {ContainerVerdict, PodRuntime} from '../kubelet/pod-runtime.js'
import {computeTraffic} from '../metrics/traffic-model.js'
import type {LocalObjectStore} from '../store/object-store.js'
import type {CommandContext} from './commands.js'
import {DataPlaneEngine, newMember} from './engine.js'
import type {ArchiveStore} from './jobs/archive-pipeline.js'
import {databaseToolContainer, type DataPlaneTrace, type JobRun, runDatabaseJob} from './jobs/job-runner.js'
import {shippedScript} from './jobs/contract.js'
import {hashPassword, passwordMatches} from './jobs/session.js'
import {formatLogLine, LOG, type LogLine} from './mongod-log.js'
import {type ClusterView, resolveHost} from './network.js'
import {connectionDropped, type PodEnd} from './pod-connections.js'
import {DataPlaneLog, persistedMember, persistedSet, walBytes} from './persistence.js'
import {encodeBatch} from './wal-batch.js'
import {captureSnapshot, restore} from './restore.js'
import {launchMongod, type MongodLaunch, mongodContainer, parseMongodArgs} from './pod/mongod-launch.js'
import {storeObjects} from './pod/objects.js'
import {type ContainerSpec, containerProcess, podSpecOf} from './pod/pod-spec.js'
import {evaluateProbe} from './probes.js'
import type {Member, ReplicaSet} from './state.js'
import {type DataPlaneTiming, resolveDataPlaneTiming, SIMULATION} from './timing.js'
import {serviceWriteShares} from './write-targets.js'
import {infoReplication, type MasterLookup, RedisFleet, type RedisInstance} from './redis/redis-fleet.js'
import type {RedisJobAccess} from './redis/redis-cli.js'
import {RedisDatasets} from './redis/redis-datasets.js'
import {launchRedis, redisContainer} from './redis/redis-server.js'

export interface DataPlaneOptions {
  /** Where the data plane persists; undefined keeps everything in memory (tests). */
  stateDir?: string
  timing?: Partial<DataPlaneTiming>
  clock?: () => number
  log?: (line: string) => void
  /** Run the tick loop on a timer (default true); tests may call tick() themselves. */
  autoTick?: boolean
  /** Names members without cluster DNS (unit tests of the engine on disk); default: the clusters' DNS. */
  resolveHost?: (set: ReplicaSet, host: string) => string | undefined
  /** The local provider's object store, reached by backup Jobs' simulated transfer container. */
  archiveStore?: ArchiveStore
  /** Told how long the costly steps took: archive Jobs' steps, log flushes for a Job, compactions (benchmarks). */
  trace?: DataPlaneTrace
}

/** One local cluster as the data plane sees it. */
export interface ClusterAttachment {
  name: string
  region: string
  /** The environment its clusters form: they reach each other's `SVC.NS.svc.clusterset.local`. */
  clusterSet: string
  store: LocalObjectStore
  isDown(): boolean
  logs: ContainerLogs
}

export interface DataPlaneSummary {
  sets: Array<{name: string; clusterSet: string; primary: string | null; term: number; documents: number; oplogEntries: number; members: Array<{host: string; state: string}>}>
  members: number
  documents: number
}

type PodInfo = {kind: 'other'} | {kind: 'tool'} | {kind: 'mongod'; container: ContainerSpec; memberKey: string} | {kind: 'redis'; container: ContainerSpec}

const PODS = {group: '', resource: 'pods'}
const PVCS = {group: '', resource: 'persistentvolumeclaims'}
/**
 * Compact the log into a snapshot past this many bytes. The state is captured at once (a fraction
 * of a second for a million documents) and written while the daemon goes on, but writing costs
 * CPU for seconds, so it happens rarely (at the default write rates, every several hours) and not
 * at every stop.
 */
const COMPACT_AFTER_BYTES = 256 * 1024 * 1024
/**
 * While a database Job runs or its outcome waits to be on disk (a restore writes a million
 * documents), and for a while after one finished (Jobs come in sequences: a verification's
 * restore is followed by its hashes Job), a compaction waits: it would take CPU from them. The
 * wait is bounded: past this size of log it compacts regardless.
 */
const COMPACT_DEFERRED_UP_TO_BYTES = 2 * COMPACT_AFTER_BYTES
const COMPACT_QUIET_AFTER_JOB_MS = 10_000
/** Member replication positions are logged this often (mongod's journal commits every 100 ms). */
const POSITIONS_EVERY_MS = 200
/** Members whose claim (or pod, for an emptyDir) is gone lose their data; checked this often. */
const GC_EVERY_MS = 5000

/**
 * The local MongoDB data plane: one per daemon, since a replica set spans the region clusters.
 * It watches the clusters' pods for mongod containers (a member is its StatefulSet pod identity
 * plus claim; it runs while its container runs and its region is up), advances the replica sets
 * (engine.ts), answers the kubelet for mongod containers (start checks, probes) and database Jobs
 * (their scripts' outcome), writes mongod's log lines to the pods' logs, and persists everything.
 */
export class DataPlane {
  readonly engine: DataPlaneEngine
  /** The simulated Redis servers (redis/redis-fleet.ts); in memory only, as Redis' replication state. */
  readonly redis = new RedisFleet()
  /** Their datasets, kept with their claims (redis/redis-datasets.ts): what a restarted one loads. */
  private readonly redisDatasets: RedisDatasets
  readonly timing: DataPlaneTiming
  private readonly clusters = new Map<string, ClusterAttachment>()
  private readonly listeners = new Map<string, Set<(keys: string[]) => void>>()
  private readonly podInfos = new Map<string, PodInfo>()
  private readonly readyCache = new Map<string, boolean>()
  private readonly launchLogged = new Map<string, string>()
  /** The set each app pod writes to, resolved from its connection string when first seen (write-targets.ts). */
  private readonly writeTargets = new Map<string, string>()
  private readonly jobRuns = new Map<string, {run: JobRun; durable: boolean}>()
  /** Job pods whose (asynchronous) run has not finished yet. */
  private readonly runningJobs = new Set<string>()
  private readonly clock: () => number
  private readonly log?: DataPlaneLog
  private readonly persistedEnd = new Map<string, number>()
  private readonly persistedRollbacks = new Map<string, number>()
  private readonly positions = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  private lastTrafficAt = 0
  private lastPositionsAt = 0
  private lastGcAt = 0
  private compacting: Promise<void> | undefined
  /** When the last database Job's run was recorded or became durable (performance.now()), for the compaction's quiet window. */
  private lastJobRecordedAt = -Infinity
  private closed = false
  readonly warnings: string[] = []

  constructor(private readonly options: DataPlaneOptions = {}) {
    this.clock = options.clock ?? Date.now
    this.timing = resolveDataPlaneTiming(options.timing)
    this.engine = new DataPlaneEngine(
      {
        log: (key, line, at) => this.memberLog(key, [line], at),
        resolveHost: (set, host) => (options.resolveHost ?? ((s, h) => this.resolveMemberKey(s, h)))(set, host),
        reaches: (_set, from, to) => this.linkOpen(from.placement, to.placement, to.port),
      },
      {timeScale: this.timing.timeScale, defaultReplicationLagMs: this.timing.defaultReplicationLagMs, initialSyncMs: this.timing.initialSyncMs, rollbackMs: this.timing.rollbackMs},
    )
    this.redisDatasets = new RedisDatasets(options.stateDir ? join(options.stateDir, 'redis') : undefined)
    if (options.stateDir) {
      const loaded = this.load(options.stateDir)
      this.log = new DataPlaneLog(options.stateDir, loaded)
    }
  }

  /** Starts advancing on a timer (after the clusters are attached, so hosts resolve). */
  start(): void {
    // Outcomes of Job pods that no longer exist (deleted while the daemon was down) are let go.
    const live = new Set<string>()
    for (const cluster of this.clusters.values()) for (const pod of cluster.store.listShared(PODS).items) live.add(String(pod.metadata.uid))
    for (const uid of [...this.jobRuns.keys()]) if (!live.has(uid)) this.forgetJob(uid)
    if (this.timer || this.options.autoTick === false) return
    this.timer = setInterval(() => this.tick(), this.timing.tickMs)
    this.timer.unref?.()
  }

  attach(cluster: ClusterAttachment): PodRuntime {
    this.clusters.set(cluster.name, cluster)
    const listeners = new Set<(keys: string[]) => void>()
    this.listeners.set(cluster.name, listeners)
    cluster.logs.prune((uid) => cluster.store.listShared(PODS).items.some((pod) => pod.metadata.uid === uid))
    return {
      containers: (pod, now) => this.containerVerdict(cluster, pod, now),
      completion: (pod, now) => this.completion(cluster, pod, now),
      onPodsChanged: (listener) => {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
      podDeleted: (pod) => {
        const uid = String(pod.metadata.uid)
        this.podInfos.delete(uid)
        this.readyCache.delete(uid)
        this.forgetJob(uid)
        this.launchLogged.delete(uid)
        this.writeTargets.delete(uid)
        cluster.logs.forget({namespace: String(pod.metadata.namespace), name: String(pod.metadata.name), uid})
      },
    }
  }

  private forgetJob(uid: string): void {
    if (!this.jobRuns.delete(uid)) return
    this.log?.append({k: 'job-drop', uid})
  }

  /** A cluster stopped with the daemon: its members go down, their data stays. */
  detach(name: string): void {
    this.clusters.delete(name)
    this.listeners.delete(name)
  }

  /** A cluster was deleted (env destroy): its members' data goes with its volumes. */
  forgetCluster(name: string): void {
    this.detach(name)
    for (const member of [...this.engine.members.values()]) if (member.placement.cluster === name) this.engine.dropMember(member.key)
    for (const volume of this.redisDatasets.volumes()) if (volume.startsWith(`${name}/`)) this.redisDatasets.forget(volume)
    this.dropEmptySets()
    this.persist()
  }

  /** A region went down or came back: bring the simulation to this instant at once. */
  regionChanged(): void {
    this.tick()
  }

  // ---- the tick ----------------------------------------------------------------------------

  tick(now = this.clock()): void {
    if (this.closed) return
    this.observe(now)
    if (now - this.lastTrafficAt >= SIMULATION.trafficRefreshMs) this.refreshWriteRates(now)
    this.engine.tick(now)
    this.redis.tick(now, (replica) => this.redisMaster(replica))
    for (const instance of this.redis.instances.values()) if (instance.up && instance.volume) this.redisDatasets.save(instance.volume, instance.dataVersion, instance.data)
    this.notifyReadiness()
    this.persist(now)
  }

  private views(): ClusterView[] {
    return [...this.clusters.values()].map((c) => ({name: c.name, clusterSet: c.clusterSet, store: c.store, isDown: () => c.isDown()}))
  }

  private podInfo(cluster: ClusterAttachment, pod: KubeObject): PodInfo {
    const uid = String(pod.metadata.uid)
    let info = this.podInfos.get(uid)
    if (info) return info
    const container = mongodContainer(pod)
    const redis = container ? undefined : redisContainer(pod)
    if (container) info = {kind: 'mongod', container, memberKey: memberKeyOf(cluster.name, pod, container, cluster.store)}
    else if (redis) info = {kind: 'redis', container: redis}
    else info = databaseToolContainer(pod) ? {kind: 'tool'} : {kind: 'other'}
    // A claim not bound yet gives no identity to remember.
    if (!(info.kind === 'mongod' && info.memberKey.endsWith('@pending'))) this.podInfos.set(uid, info)
    return info
  }

  /** The member a mongod pod runs, if it has started (resolution and Job connections). */
  memberOfPod(clusterName: string, pod: KubeObject): Member | undefined {
    const cluster = this.clusters.get(clusterName)
    if (!cluster) return undefined
    const info = this.podInfo(cluster, pod)
    if (info.kind !== 'mongod') return undefined
    const member = this.engine.members.get(info.memberKey)
    return member?.placement.podUid === pod.metadata.uid ? member : undefined
  }

  private resolveMemberKey(set: ReplicaSet, host: string): string | undefined {
    const views = this.views()
    const home = views.find((v) => v.name === set.homeCluster)
    if (!home) return undefined
    const resolution = resolveHost(host, home, set.homeNamespace, views)
    if (!resolution.ok || resolution.endpoints.length !== 1) return undefined
    const endpoint = resolution.endpoints[0]
    const cluster = this.clusters.get(endpoint.cluster)
    if (!cluster) return undefined
    const info = this.podInfo(cluster, endpoint.pod)
    return info.kind === 'mongod' ? info.memberKey : undefined
  }

  /** The running pod at a placement, as a connection's end. */
  private podEnd(placement: {cluster: string; namespace: string; pod: string; podUid: string}): PodEnd | undefined {
    const cluster = this.clusters.get(placement.cluster)
    const pod = cluster?.store.getShared(PODS, placement.namespace, placement.pod)
    if (!cluster || !pod || pod.metadata.uid !== placement.podUid) return undefined
    return {cluster: {name: cluster.name, clusterSet: cluster.clusterSet, store: cluster.store, isDown: () => cluster.isDown()}, pod}
  }

  /**
   * Whether the NetworkPolicies let one server's connections reach another's port (mongod
   * heartbeats, votes and replication; a Redis replica's link to its master): pod-connections.ts.
   * A pod that is gone has no policy to check; its member is down anyway.
   */
  private linkOpen(from: {cluster: string; namespace: string; pod: string; podUid: string}, to: {cluster: string; namespace: string; pod: string; podUid: string}, port: number): boolean {
    const a = this.podEnd(from)
    const b = this.podEnd(to)
    return !a || !b || connectionDropped(a, b, port) === undefined
  }

  /** Which members run now: their pod's mongod container is running and their region is up. */
  private observe(now: number): void {
    const seen = new Set<string>()
    const redisRunning = new Set<string>()
    for (const cluster of this.clusters.values()) {
      const down = cluster.isDown()
      const objects = storeObjects(cluster.store)
      const faultsByNamespace = new Map<string, ReturnType<typeof listFaults>>()
      for (const pod of cluster.store.listShared(PODS).items) {
        const info = this.podInfo(cluster, pod)
        if (info.kind === 'redis') {
          if (down || !isPodActive(pod) || !containerRunning(pod, info.container.name)) continue
          const launch = launchRedis(pod, info.container, objects)
          if (!launch.ok) continue
          const volume = redisVolumeOf(cluster.name, pod, info.container, launch.options, cluster.store)
          const instance = this.redis.observe(
            {cluster: cluster.name, namespace: String(pod.metadata.namespace), pod: String(pod.metadata.name), podUid: String(pod.metadata.uid), options: launch.options, ...(volume ? {volume, load: () => this.redisDatasets.load(volume)} : {})},
            now,
          )
          redisRunning.add(instance.key)
          continue
        }
        if (info.kind !== 'mongod' || seen.has(info.memberKey)) continue
        if (down || !isPodActive(pod) || !containerRunning(pod, info.container.name)) continue
        const launch = launchMongod(pod, info.container, objects)
        if (!launch.ok) continue
        const member = this.memberFor(cluster, pod, info.memberKey, launch, now)
        const identity = podIdentity(pod)
        const namespace = String(pod.metadata.namespace)
        if (!faultsByNamespace.has(namespace)) faultsByNamespace.set(namespace, listFaults(cluster.store, namespace))
        member.faultLagMs = faultsFor(identity.service, identity.version, faultsByNamespace.get(namespace) ?? []).replicationLagMs
        const wasUp = member.up
        this.engine.setUp(member.key, true, now)
        if (!wasUp) this.memberLog(member.key, [LOG.starting(member.port, member.dbPath, String(pod.metadata.name)), LOG.waitingForConnections(member.port)], now)
        seen.add(member.key)
      }
    }
    for (const member of this.engine.members.values()) if (!seen.has(member.key)) this.engine.setUp(member.key, false, now)
    this.redis.markDown(redisRunning)
    if (now - this.lastGcAt >= GC_EVERY_MS) {
      this.lastGcAt = now
      this.collectGarbage()
    }
  }

  /** The member for a running mongod, created on first start with the entrypoint's root user. */
  private memberFor(cluster: ClusterAttachment, pod: KubeObject, key: string, launch: Extract<MongodLaunch, {ok: true}>, now: number): Member {
    let member = this.engine.members.get(key)
    const claim = claimOf(pod, launch.options.dbPath, launch.container)
    const claimUid = claim ? cluster.store.getShared(PVCS, String(pod.metadata.namespace), claim)?.metadata.uid : undefined
    const placement = {cluster: cluster.name, namespace: String(pod.metadata.namespace), pod: String(pod.metadata.name), podUid: String(pod.metadata.uid), ...(claim ? {claim} : {}), ...(claimUid ? {claimUid} : {})}
    if (!member) {
      member = newMember(key, placement, launch.options.replSet ?? '', launch.options.port, now, launch.options.dbPath)
      // docker-entrypoint.sh creates the root user once, on an empty data directory.
      if (launch.rootUser) member.users = [hashPassword(launch.rootUser.user, launch.rootUser.password, randomBytes(12).toString('base64'))]
      this.engine.members.set(key, member)
      this.engine.journal.members.add(key)
    } else if (member.placement.podUid !== placement.podUid || member.port !== launch.options.port) {
      member.placement = placement
      member.port = launch.options.port
      this.engine.journal.members.add(key)
    }
    member.auth = launch.options.auth
    member.bindAll = launch.options.bindAll
    return member
  }

  /** What a replica's `replicaof` host resolves to, from the replica's own cluster. */
  private redisMaster(replica: RedisInstance): MasterLookup {
    const own = this.clusters.get(replica.cluster)
    if (!own || !replica.master) return {ok: false}
    const views = this.views()
    const resolution = resolveHost(`${replica.master.host}:${replica.master.port}`, views.find((v) => v.name === own.name)!, replica.namespace, views)
    if (!resolution.ok || resolution.endpoints.length !== 1) return {ok: false}
    const endpoint = resolution.endpoints[0]
    if (this.clusters.get(endpoint.cluster)?.isDown()) return {ok: false}
    const instance = this.redis.instances.get(`${endpoint.cluster}/${endpoint.pod.metadata.namespace}/${endpoint.pod.metadata.name}`)
    if (!instance || instance.podUid !== endpoint.pod.metadata.uid || instance.options.port !== replica.master.port) return {ok: false}
    // The replica connects to its master: a link the NetworkPolicies drop never comes up.
    const from = {cluster: replica.cluster, namespace: replica.namespace, pod: replica.pod, podUid: replica.podUid}
    const to = {cluster: endpoint.cluster, namespace: String(endpoint.pod.metadata.namespace), pod: String(endpoint.pod.metadata.name), podUid: String(endpoint.pod.metadata.uid)}
    return this.linkOpen(from, to, endpoint.port) ? {ok: true, instance} : {ok: false}
  }

  /** redis-cli Jobs' view of the simulated Redis servers. */
  private redisAccess(now: number): RedisJobAccess {
    return {
      instanceOf: (clusterName, pod) => {
        const instance = this.redis.instances.get(`${clusterName}/${pod.metadata.namespace}/${pod.metadata.name}`)
        return instance?.podUid === pod.metadata.uid ? instance : undefined
      },
      info: (instance) => infoReplication(instance, now, instance.role === 'master' ? this.redis.replicasOf(instance, (r) => this.redisMaster(r)) : []),
      promote: (instance) => this.redis.promote(instance, now),
      follow: (instance, master) => this.redis.follow(instance, master, now),
      write: (instance, key, value) => this.redis.write(instance, key, value),
    }
  }

  /** Members whose volume is gone lost their data (a deleted claim, or an emptyDir pod that is gone). */
  private collectGarbage(): void {
    let dropped = false
    for (const member of [...this.engine.members.values()]) {
      const cluster = this.clusters.get(member.placement.cluster)
      if (!cluster || member.up) continue
      const gone = member.placement.claim
        ? cluster.store.getShared(PVCS, member.placement.namespace, member.placement.claim)?.metadata.uid !== member.placement.claimUid
        : !cluster.store.listShared(PODS, {namespace: member.placement.namespace}).items.some((p) => p.metadata.uid === member.placement.podUid)
      if (gone) {
        this.engine.dropMember(member.key)
        dropped = true
      }
    }
    if (dropped) this.dropEmptySets()
    // A Redis dataset goes with its claim, as a member's data does.
    for (const volume of this.redisDatasets.volumes()) {
      const [clusterName, namespace, claimAndUid] = volume.split('/')
      const cluster = this.clusters.get(clusterName)
      const [claim, uid] = (claimAndUid ?? '').split('@')
      if (cluster && cluster.store.getShared(PVCS, namespace, claim)?.metadata.uid !== uid) this.redisDatasets.forget(volume)
    }
  }

  private dropEmptySets(): void {
    for (const set of [...this.engine.sets.values()]) {
      if (![...this.engine.members.values()].some((m) => m.setId === set.id)) {
        this.engine.sets.delete(set.id)
        this.persistedEnd.delete(set.id)
        this.log?.append({k: 'set', s: {...persistedSet(set), config: {...set.config, members: []}}})
      }
    }
  }

  /**
   * Write rates follow the simulated traffic of the services whose pods write to each set: a
   * service writes to the set its pods' connection string names (write-targets.ts; `SERVICE-db`
   * by default). A scratch or restored set (`billing-db-r1`) has no writers until a service's
   * pods are started against it (a restore's switch), and its own mongod pods' label is never
   * taken for a writing service.
   */
  private refreshWriteRates(now: number): void {
    this.lastTrafficAt = now
    const rpsByClusterSet = new Map<string, Map<string, number>>()
    for (const cluster of this.clusters.values()) {
      if (cluster.isDown()) continue
      const totals = rpsByClusterSet.get(cluster.clusterSet) ?? new Map<string, number>()
      for (const traffic of computeTraffic(cluster.store)) {
        for (const [set, share] of serviceWriteShares(cluster.store, traffic.namespace, traffic.service, this.writeTargets, (name, user, password) => this.authenticates(cluster.clusterSet, name, user, password))) {
          totals.set(set, (totals.get(set) ?? 0) + traffic.rps * share)
        }
      }
      rpsByClusterSet.set(cluster.clusterSet, totals)
    }
    for (const set of this.engine.sets.values()) {
      set.writesPerSecond = (rpsByClusterSet.get(set.clusterSet)?.get(set.name) ?? 0) * SIMULATION.writesPerRequest
    }
  }

  /** An app's driver logging in to set NAME of a cluster set (write-targets.ts: Authenticates). */
  private authenticates(clusterSet: string, name: string, user: string, password: string): boolean {
    const set = [...this.engine.sets.values()].find((s) => s.clusterSet === clusterSet && s.name === name)
    if (!set || set.users.length === 0) return true
    const record = set.users.find((u) => u.user === user && u.db === 'admin')
    return record !== undefined && passwordMatches(record, password)
  }

  // ---- kubelet hooks ------------------------------------------------------------------------

  private containerVerdict(cluster: ClusterAttachment, pod: KubeObject, now: number): ContainerVerdict | undefined {
    const info = this.podInfo(cluster, pod)
    if (info.kind === 'redis') {
      // redis-server exits 1 on a configuration it cannot read: the pod crash-loops, its log says why.
      const launch = launchRedis(pod, info.container, storeObjects(cluster.store))
      if (launch.ok) return undefined
      const uid = String(pod.metadata.uid)
      if (!this.launchLogged.has(uid)) {
        this.launchLogged.set(uid, 'redis')
        cluster.logs.append({namespace: String(pod.metadata.namespace), name: String(pod.metadata.name), uid}, info.container.name, launch.stderr.map((text) => ({stream: 'stderr' as const, text})), now)
      }
      return {crashExitCode: 1}
    }
    if (info.kind !== 'mongod') return undefined
    const launch = launchMongod(pod, info.container, storeObjects(cluster.store))
    if (!launch.ok) {
      this.logLaunchFailure(cluster, pod, info.container, launch, now)
      return {crashExitCode: launch.exitCode}
    }
    const member = this.memberOfPod(cluster.name, pod)
    const liveness = evaluateProbe('liveness', info.container.livenessProbe, info.container, launch.options, member)
    if (!liveness.ok && member?.up) return {crashExitCode: 137, probeMessage: liveness.message}
    const readiness = evaluateProbe('readiness', info.container.readinessProbe, info.container, launch.options, member)
    this.readyCache.set(String(pod.metadata.uid), readiness.ok)
    return readiness.ok ? {} : {notReady: true, ...(readiness.message ? {probeMessage: readiness.message} : {})}
  }

  /** Crash-looping mongod: its log says why, once per restart. */
  private logLaunchFailure(cluster: ClusterAttachment, pod: KubeObject, container: ContainerSpec, launch: Extract<MongodLaunch, {ok: false}>, now: number): void {
    const uid = String(pod.metadata.uid)
    const restarts = ((pod.status as {containerStatuses?: Array<{name: string; restartCount?: number}>} | undefined)?.containerStatuses ?? []).find((c) => c.name === container.name)?.restartCount ?? 0
    const marker = `${restarts}`
    if (this.launchLogged.get(uid) === marker) return
    this.launchLogged.set(uid, marker)
    const ref = {namespace: String(pod.metadata.namespace), name: String(pod.metadata.name), uid}
    cluster.logs.append(ref, container.name, [...launch.stderr.map((text) => ({stream: 'stderr' as const, text})), ...launch.lines.map((line) => ({stream: 'stdout' as const, text: formatLogLine(line, now)}))], now)
  }

  private completion(cluster: ClusterAttachment, pod: KubeObject, now: number): {exitCode: number; terminationMessage?: string} | 'pending' | undefined {
    const uid = String(pod.metadata.uid)
    const done = this.jobRuns.get(uid)
    if (done) return done.durable ? outcomeOf(done.run) : 'pending'
    if (this.runningJobs.has(uid)) return 'pending'
    if (this.podInfo(cluster, pod).kind !== 'tool') return undefined
    this.tick(now)
    const ctx: CommandContext = {engine: this.engine, now, clusterSetOf: (name) => this.clusters.get(name)?.clusterSet ?? name}
    const run = runDatabaseJob({
      pod,
      cluster: {name: cluster.name, clusterSet: cluster.clusterSet, store: cluster.store, isDown: () => cluster.isDown()},
      clusters: this.views(),
      objects: storeObjects(cluster.store),
      ctx,
      memberOfPod: (clusterName, target) => this.memberOfPod(clusterName, target),
      shippedScript,
      ...(this.options.archiveStore ? {archiveStore: this.options.archiveStore} : {}),
      redis: this.redisAccess(now),
      ...(this.options.trace ? {trace: this.options.trace} : {}),
    })
    if (!run) return undefined
    if (run instanceof Promise) {
      // Archives are written and read asynchronously (object store I/O): the pod keeps running
      // until the run has finished, then its kubelet is told to look again.
      this.runningJobs.add(uid)
      run.then(
        (finished) => {
          this.runningJobs.delete(uid)
          if (this.closed) return
          this.recordJobRun(cluster, pod, finished, this.clock())
          for (const listener of this.listeners.get(cluster.name) ?? []) listener([`${pod.metadata.namespace}/${pod.metadata.name}`])
        },
        (error: unknown) => {
          this.runningJobs.delete(uid)
          this.recordJobRun(cluster, pod, {container: 'unknown', stdout: [], stderr: [`internal error: ${String(error)}`], exitCode: 1}, this.clock())
        },
      )
      return 'pending'
    }
    return this.recordJobRun(cluster, pod, run, now)
  }

  private recordJobRun(cluster: ClusterAttachment, pod: KubeObject, run: JobRun, now: number): {exitCode: number; terminationMessage?: string} | 'pending' {
    const uid = String(pod.metadata.uid)
    const ref = {namespace: String(pod.metadata.namespace), name: String(pod.metadata.name), uid}
    for (const before of run.earlier ?? []) {
      cluster.logs.append(ref, before.container, [...before.stdout.map((text) => ({stream: 'stdout' as const, text})), ...before.stderr.map((text) => ({stream: 'stderr' as const, text}))], now, {durable: true})
    }
    cluster.logs.append(ref, run.container, [...run.stdout.map((text) => ({stream: 'stdout' as const, text})), ...run.stderr.map((text) => ({stream: 'stderr' as const, text}))], now, {durable: true})
    const entry = {run, durable: !this.log}
    this.jobRuns.set(uid, entry)
    // The operation's effects (a new config, a step-down) and its outcome are reported only once
    // they are on disk: a crash before that reruns the (idempotent) script, after it never.
    const persisting = performance.now()
    this.lastJobRecordedAt = persisting
    this.persist(now)
    this.log?.append({k: 'job', uid, run})
    this.notifyReadiness()
    if (!this.log) return outcomeOf(run)
    void this.log.flush().then(
      () => {
        // The quiet window counts from the outcome being reported (the next Job follows it).
        this.lastJobRecordedAt = performance.now()
        this.options.trace?.('Job outcome: its effects logged and flushed', this.lastJobRecordedAt - persisting)
        entry.durable = true
        for (const listener of this.listeners.get(cluster.name) ?? []) listener([`${ref.namespace}/${ref.name}`])
      },
      (error: unknown) => this.options.log?.(`data plane: cannot persist a Job's effects: ${String(error)}`),
    )
    return 'pending'
  }

  /** Tells each cluster's kubelet about mongod pods whose readiness changed. */
  private notifyReadiness(): void {
    for (const cluster of this.clusters.values()) {
      const changed: string[] = []
      for (const pod of cluster.store.listShared(PODS).items) {
        const info = this.podInfos.get(String(pod.metadata.uid))
        if (!info || info.kind !== 'mongod') continue
        const member = this.memberOfPod(cluster.name, pod)
        const launch = launchMongod(pod, info.container, storeObjects(cluster.store))
        if (!launch.ok) continue
        const ready = evaluateProbe('readiness', info.container.readinessProbe, info.container, launch.options, member).ok
        if (this.readyCache.get(String(pod.metadata.uid)) !== ready) changed.push(`${pod.metadata.namespace}/${pod.metadata.name}`)
      }
      if (changed.length > 0) for (const listener of this.listeners.get(cluster.name) ?? []) listener(changed)
    }
  }

  private memberLog(key: string, lines: readonly LogLine[], at: number): void {
    const member = this.engine.members.get(key)
    const cluster = member ? this.clusters.get(member.placement.cluster) : undefined
    if (!member || !cluster) return
    const info = this.podInfos.get(member.placement.podUid)
    const container = info?.kind === 'mongod' ? info.container.name : 'mongod'
    cluster.logs.append({namespace: member.placement.namespace, name: member.placement.pod, uid: member.placement.podUid}, container, lines.map((line) => ({stream: 'stdout' as const, text: formatLogLine(line, at)})), at)
  }

  // ---- persistence --------------------------------------------------------------------------

  private persist(now = this.clock()): void {
    const journal = this.engine.drainJournal()
    const log = this.log
    if (!log) return
    for (const {set, at} of journal.truncations) {
      log.append({k: 'truncate', set, at})
      this.persistedEnd.set(set, Math.min(this.persistedEnd.get(set) ?? 0, at))
    }
    for (const id of journal.sets) {
      const set = this.engine.sets.get(id)
      if (set) log.append({k: 'set', s: persistedSet(set)})
    }
    for (const set of this.engine.sets.values()) {
      const from = Math.max(this.persistedEnd.get(set.id) ?? set.oplog.start, set.oplog.start)
      for (let at = from; at < set.oplog.end; at += 1000) {
        const to = Math.min(set.oplog.end, at + 1000)
        log.appendBatch(encodeBatch({set: set.id, from: at, seq: set.writeSeq, ts: set.lastTs, ...(set.primary ? {by: set.primary} : {})}, set.oplog, at, to))
      }
      this.persistedEnd.set(set.id, set.oplog.end)
      const known = this.persistedRollbacks.get(set.id) ?? 0
      for (const event of set.rollbacks.slice(known)) log.append({k: 'rollback', set: set.id, e: event})
      this.persistedRollbacks.set(set.id, set.rollbacks.length)
    }
    for (const key of journal.members) {
      const member = this.engine.members.get(key)
      if (member) {
        log.append({k: 'member', m: persistedMember(member)})
        this.positions.set(key, member.applied)
      }
    }
    for (const key of journal.droppedMembers) log.append({k: 'drop', key})
    if (now - this.lastPositionsAt >= POSITIONS_EVERY_MS) {
      this.lastPositionsAt = now
      const moved: Record<string, number> = {}
      for (const member of this.engine.members.values()) {
        if (this.positions.get(member.key) !== member.applied) {
          moved[member.key] = member.applied
          this.positions.set(member.key, member.applied)
        }
      }
      if (Object.keys(moved).length > 0) log.append({k: 'pos', p: moved})
    }
    if (log.size > COMPACT_AFTER_BYTES && !this.compacting && (!this.databaseJobBusy() || log.size > COMPACT_DEFERRED_UP_TO_BYTES)) this.startCompaction()
  }

  /** A database Job is running, finished less than COMPACT_QUIET_AFTER_JOB_MS ago, or its run is not on disk yet. */
  private databaseJobBusy(): boolean {
    if (this.runningJobs.size > 0 || performance.now() - this.lastJobRecordedAt < COMPACT_QUIET_AFTER_JOB_MS) return true
    for (const entry of this.jobRuns.values()) if (!entry.durable) return true
    return false
  }

  private startCompaction(): Promise<void> {
    this.compacting ??= this.snapshotNow().finally(() => (this.compacting = undefined))
    return this.compacting
  }

  /** Resolves once everything done so far is on disk. */
  async flush(): Promise<void> {
    this.persist()
    await this.log?.flush()
    await this.flushRedis()
  }

  private async flushRedis(): Promise<void> {
    const failure = await this.redisDatasets.flush()
    if (failure) this.options.log?.(`data plane: ${failure}`)
  }

  /** Folds the log into a new snapshot. */
  async compact(): Promise<void> {
    this.persist()
    await this.compacting
    await this.startCompaction()
  }

  private async snapshotNow(): Promise<void> {
    const started = performance.now()
    await this.log?.snapshot((walSeq) => {
      const capturing = performance.now()
      const lines = captureSnapshot(this.engine, this.jobRuns, walSeq)
      for (const member of this.engine.members.values()) this.positions.set(member.key, member.applied)
      this.options.trace?.('compaction: capture (the daemon waits)', performance.now() - capturing)
      return lines
    })
    this.options.trace?.('compaction: whole (the daemon goes on)', performance.now() - started)
  }

  private load(dir: string): number {
    const loaded = restore(dir, this.engine, this.jobRuns, this.clock())
    for (const set of this.engine.sets.values()) {
      this.persistedEnd.set(set.id, set.oplog.end)
      this.persistedRollbacks.set(set.id, set.rollbacks.length)
    }
    for (const member of this.engine.members.values()) this.positions.set(member.key, member.applied)
    this.warnings.push(...loaded.warnings)
    if (walBytes(dir) > COMPACT_AFTER_BYTES) queueMicrotask(() => void this.startCompaction())
    return loaded.nextWalSeq
  }

  async close(): Promise<void> {
    if (this.closed) return
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.persist()
    await this.compacting
    await this.log?.close()
    await this.flushRedis()
    this.closed = true
  }

  summary(): DataPlaneSummary {
    const sets = [...this.engine.sets.values()].map((set) => ({
      name: set.name,
      clusterSet: set.clusterSet,
      primary: this.engine.primaryOf(set) ? this.engine.hostOf(set, set.primary as string) : null,
      term: set.term,
      documents: set.data.totalDocuments(),
      oplogEntries: set.oplog.length,
      members: this.engine.membersOf(set).map(({config, member}) => ({host: config.host, state: member?.up ? member.state : 'DOWN'})),
    }))
    return {sets, members: this.engine.members.size, documents: sets.reduce((sum, s) => sum + s.documents, 0)}
  }
}

const containerRunning = (pod: KubeObject, name: string): boolean =>
  ((pod.status as {containerStatuses?: Array<{name: string; state?: {running?: unknown}}>} | undefined)?.containerStatuses ?? []).some((c) => c.name === name && c.state?.running !== undefined)

const outcomeOf = (run: JobRun): {exitCode: number; terminationMessage?: string} => ({exitCode: run.exitCode, ...(run.terminationMessage ? {terminationMessage: run.terminationMessage} : {})})

/** The claim mounted at --dbpath, if the data directory is a PersistentVolumeClaim. */
function claimOf(pod: KubeObject, dbPath: string, container: ContainerSpec): string | undefined {
  const spec = podSpecOf(pod)
  const base = dbPath.replace(/\/+$/, '')
  const mount = (container.volumeMounts ?? [])
    .filter((m) => base === m.mountPath.replace(/\/+$/, '') || base.startsWith(`${m.mountPath.replace(/\/+$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0]
  const volume = mount ? (spec.volumes ?? []).find((v) => v.name === mount.name) : undefined
  return volume?.persistentVolumeClaim?.claimName
}

/**
 * The volume a redis-server persists its dataset on: with `appendonly yes` (the AOF), the claim
 * behind `dir`, by name and uid (`CLUSTER/NAMESPACE/CLAIM@UID`); undefined when nothing it writes
 * outlives the container (redis/redis-datasets.ts).
 */
function redisVolumeOf(cluster: string, pod: KubeObject, container: ContainerSpec, options: {appendonly: boolean; dir: string}, store: LocalObjectStore): string | undefined {
  if (!options.appendonly) return undefined
  const claim = claimOf(pod, options.dir, container)
  const uid = claim ? store.getShared(PVCS, String(pod.metadata.namespace), claim)?.metadata.uid : undefined
  return claim && uid ? `${cluster}/${pod.metadata.namespace}/${claim}@${uid}` : undefined
}

/**
 * A member's identity: the claim behind its --dbpath, by name and uid (a StatefulSet pod recreated
 * on the same claim is the same member; a claim deleted and recreated under the same name is new,
 * empty storage), or the pod itself when the data lives in an emptyDir.
 */
export function memberKeyOf(cluster: string, pod: KubeObject, container: ContainerSpec, store: LocalObjectStore): string {
  const args = containerProcess(container).argv.slice(1)
  const parsed = parseMongodArgs(args)
  const dbPath = 'values' in parsed ? (parsed.values.get('--dbpath') ?? '/data/db') : '/data/db'
  const claim = claimOf(pod, dbPath, container)
  const uid = claim ? store.getShared(PVCS, String(pod.metadata.namespace), claim)?.metadata.uid : undefined
  return claim ? `${cluster}/${pod.metadata.namespace}/${claim}@${uid ?? 'pending'}` : `${cluster}/${pod.metadata.namespace}/${pod.metadata.name}@${pod.metadata.uid}`
}
