import {randomBytes} from 'node:crypto'
import {mkdir, readFile, rm} from 'node:fs/promises'
import http from 'node:http'

import {writeFileAtomic} from '../../atomic-file.js'
import {LocalCluster, LocalTiming, startLocalCluster} from '../cluster.js'
import {DataPlane} from '../data-plane/data-plane.js'
import {localArchiveStore} from '../data-plane/jobs/local-archive-store.js'
import type {DataPlaneTiming} from '../data-plane/timing.js'
import {DnsTable} from '../dns/dns-table.js'
import {recordSetProblem, type LocalDnsRecordSet} from '../dns/record-set.js'
import {localKubeconfig, writeLocalKubeconfig} from './kubeconfig.js'
import {acquireLock} from './lock.js'
import {localPaths} from './paths.js'
import type {ApiFaultSettings, ClusterInfo, ClusterRecord, DaemonInfo, DaemonStatus} from './protocol.js'

export interface DaemonOptions {
  home: string
  timing?: LocalTiming
  /** The MongoDB data plane's timing (MYGATE_LOCAL_DB_TIME_SCALE); default: MongoDB's. */
  dataPlaneTiming?: Partial<DataPlaneTiming>
  log?: (line: string) => void
  /** API groups whose operator CRDs the clusters are bootstrapped without (MYGATE_LOCAL_WITHOUT_CRDS). */
  withoutCrdGroups?: readonly string[]
}

export interface RunningDaemon {
  info: DaemonInfo
  /** Resolves when the daemon has shut down (control API /shutdown or stop()). */
  closed: Promise<void>
  stop(): Promise<void>
}

/**
 * The detached local control plane: hosts one Kubernetes-compatible API server (with its store and
 * controllers) per local cluster, and a small control API the CLI uses to add clusters and inject
 * region and API faults. Cluster ports are remembered so kubeconfigs stay valid across restarts.
 */
export async function runDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const paths = localPaths(options.home)
  const log = options.log ?? (() => undefined)
  await mkdir(paths.dir, {recursive: true})
  const releaseLock = acquireLock(paths.lockFile, paths.dir)
  const clusters = new Map<string, LocalCluster>()
  // One data plane for every cluster: a replica set spans an environment's region clusters.
  let dataPlane: DataPlane
  try {
    // Backup Jobs' simulated transfer container reaches the same encrypted buckets the CLI reads.
    dataPlane = new DataPlane({stateDir: paths.dataPlaneDir, timing: options.dataPlaneTiming, log, archiveStore: localArchiveStore(options.home)})
  } catch (error) {
    releaseLock()
    throw error
  }
  for (const warning of dataPlane.warnings) log(`data plane: ${warning}`)
  const records = await readRecords(paths.clustersFile)
  // A region's record is healthy while its cluster is hosted and up: a region outage is what a
  // health checker probing the region's entry point would see.
  const dns = await DnsTable.load(paths.dnsFile, (record) => {
    const cluster = clusters.get(record.cluster)
    return cluster !== undefined && !cluster.isDown()
  })
  const token = randomBytes(16).toString('hex')
  const startedAt = new Date().toISOString()

  const persist = async () => {
    const list = [...clusters.values()].map((c): ClusterRecord => ({name: c.name, region: c.region, port: c.port, clusterSet: c.clusterSet, podCidr: c.podCidr}))
    await writeFileAtomic(paths.clustersFile, JSON.stringify(list, null, 2))
    await writeLocalKubeconfig(paths.kubeconfig, localKubeconfig(list))
  }

  const ensureCluster = async (name: string, region: string, port?: number, clusterSet?: string, podCidr?: string): Promise<LocalCluster> => {
    const existing = clusters.get(name)
    if (existing) return existing
    const cluster = await startLocalCluster({name, region, stateDir: paths.clusterDir(name), port, timing: options.timing, log, dataPlane, clusterSet, withoutCrdGroups: options.withoutCrdGroups, podCidr})
    clusters.set(name, cluster)
    log(`cluster ${name} (${region}) listening on ${cluster.url}`)
    return cluster
  }

  try {
    for (const record of records) {
      try {
        await ensureCluster(record.name, record.region, record.port, record.clusterSet, record.podCidr)
      } catch (error) {
        // Its old port may be taken now; a new one is recorded and the kubeconfig rewritten.
        log(`cluster ${record.name}: port ${record.port} unavailable (${(error as Error).message}); using a new one`)
        await ensureCluster(record.name, record.region, undefined, record.clusterSet, record.podCidr)
      }
    }
    await persist()
    dataPlane.start()
  } catch (error) {
    await Promise.allSettled([...clusters.values()].map((c) => c.stop()))
    await dataPlane.close()
    releaseLock()
    throw error
  }

  const info = (cluster: LocalCluster): ClusterInfo => ({
    name: cluster.name,
    region: cluster.region,
    clusterSet: cluster.clusterSet,
    podCidr: cluster.podCidr,
    url: cluster.url,
    port: cluster.port,
    down: cluster.isDown(),
    apiFaults: cluster.apiFaults(),
    ...cluster.objectCounts(),
  })

  let resolveClosed!: () => void
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve))
  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      log('stopping')
      control.closeAllConnections()
      await new Promise<void>((resolve) => control.close(() => resolve()))
      await Promise.allSettled([...clusters.values()].map((c) => c.stop()))
      await dataPlane.close().catch((error: unknown) => log(`data plane: ${(error as Error).message}`))
      await rm(paths.daemonFile, {force: true})
      releaseLock()
      log('stopped')
      resolveClosed()
    })())

  const routes = async (method: string, path: string, body: Record<string, unknown>): Promise<[number, unknown]> => {
    const parts = path.split('/').filter(Boolean)
    if (method === 'GET' && path === '/status') {
      const status: DaemonStatus = {pid: process.pid, startedAt, home: options.home, kubeconfig: paths.kubeconfig, clusters: [...clusters.values()].map(info)}
      return [200, status]
    }
    if (method === 'POST' && path === '/shutdown') {
      setImmediate(() => void stop())
      return [202, {stopping: true}]
    }
    if (parts[0] === 'dns') return dnsRoutes(method, parts[1] ? decodeURIComponent(parts[1]) : undefined, body)
    if (parts[0] === 'clusters' && parts[1]) {
      const name = parts[1]
      if (method === 'PUT' && parts.length === 2) {
        const region = String(body.region ?? 'local-1')
        const clusterSet = typeof body.clusterSet === 'string' && body.clusterSet ? body.clusterSet : undefined
        const podCidr = typeof body.podCidr === 'string' && body.podCidr ? body.podCidr : undefined
        if (podCidr !== undefined && !/^\d+\.\d+\.0\.0\/16$/.test(podCidr)) return [400, {message: `pod range ${podCidr} is not a /16 (A.B.0.0/16)`}]
        const cluster = await ensureCluster(name, region, undefined, clusterSet, podCidr)
        if (cluster.region !== region) return [409, {message: `cluster ${name} exists in region ${cluster.region}, not ${region}`}]
        if (clusterSet && cluster.clusterSet !== clusterSet) return [409, {message: `cluster ${name} belongs to ${cluster.clusterSet}, not ${clusterSet}`}]
        // A node's Pod range cannot change (immutable spec.podCIDR): a cluster made before the
        // environment's address plan is re-created to get it.
        if (podCidr && cluster.podCidr !== podCidr) return [409, {message: `cluster ${name} has Pod range ${cluster.podCidr}, not ${podCidr}: destroy and re-create the environment`}]
        await persist()
        return [200, info(cluster)]
      }
      const cluster = clusters.get(name)
      if (!cluster) return [404, {message: `no local cluster named ${name}`}]
      if (method === 'DELETE' && parts.length === 2) {
        clusters.delete(name)
        await cluster.stop()
        dataPlane.forgetCluster(name)
        await rm(paths.clusterDir(name), {recursive: true, force: true})
        await persist()
        return [200, {deleted: name}]
      }
      if (method === 'PUT' && parts[2] === 'down') {
        await cluster.setDown(Boolean(body.down))
        return [200, info(cluster)]
      }
      if (method === 'PUT' && parts[2] === 'api-faults') {
        cluster.setApiFaults(body.clear ? undefined : (body as unknown as ApiFaultSettings))
        return [200, info(cluster)]
      }
    }
    return [404, {message: `no route ${method} ${path}`}]
  }

  /** GET /dns, GET|PUT|DELETE /dns/NAME: the DNS table, read and switched by the CLI. */
  const dnsRoutes = async (method: string, name: string | undefined, body: Record<string, unknown>): Promise<[number, unknown]> => {
    if (name === undefined) return method === 'GET' ? [200, dns.list()] : [405, {message: `${method} /dns is not allowed`}]
    if (method === 'GET') {
      const found = dns.get(name)
      return found ? [200, found] : [404, {message: `no DNS records for ${name}`}]
    }
    if (method === 'PUT') {
      const problem = recordSetProblem(body)
      if (problem) return [400, {message: `bad DNS record set: ${problem}`}]
      if (body.name !== name) return [400, {message: `record set ${String(body.name)} sent to /dns/${name}`}]
      return [200, await dns.put(body as unknown as LocalDnsRecordSet)]
    }
    if (method === 'DELETE') return [200, {deleted: await dns.delete(name)}]
    return [405, {message: `${method} /dns/${name} is not allowed`}]
  }

  const control: http.Server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, {'Content-Type': 'application/json'})
        res.end(JSON.stringify(payload))
      }
      if (req.headers['x-mygate-token'] !== token) return reply(401, {message: 'bad token'})
      try {
        const text = Buffer.concat(chunks).toString('utf8')
        const [status, payload] = await routes(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname, text ? JSON.parse(text) : {})
        reply(status, payload)
      } catch (error) {
        log(`control API error: ${(error as Error).stack ?? error}`)
        reply(500, {message: (error as Error).message})
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject)
    control.listen(0, '127.0.0.1', () => resolve())
  })
  const address = control.address() as {port: number}
  const daemonInfo: DaemonInfo = {pid: process.pid, controlPort: address.port, token, startedAt, home: options.home}
  await writeFileAtomic(paths.daemonFile, JSON.stringify(daemonInfo, null, 2), 0o600)
  log(`control API on 127.0.0.1:${address.port}`)
  return {info: daemonInfo, closed, stop}
}

async function readRecords(file: string): Promise<ClusterRecord[]> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as ClusterRecord[]
    return Array.isArray(parsed) ? parsed.filter((r) => typeof r.name === 'string' && typeof r.region === 'string') : []
  } catch {
    return []
  }
}
