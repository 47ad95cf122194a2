import {mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {startApiServer} from './api-server/index.js'
import {bootstrapCluster} from './bootstrap.js'
import {startControllers} from './controllers/index.js'
import type {ApiFaultSettings} from './api-server/index.js'
import type {DataPlane} from './data-plane/data-plane.js'
import {ContainerLogs} from './kubelet/container-logs.js'
import {clusterPodCidr, DEFAULT_POD_CIDR} from './kubelet/nodes.js'
import {createPrometheusProxy} from './metrics/index.js'
import {createObjectStore} from './store/index.js'

/** Simulated time: how long pods take to start and jobs to run (short by default). */
export interface LocalTiming {
  podStartupMs?: number
  readinessDelayMs?: number
  jobRunMs?: number
  progressDeadlineScale?: number
}

/** Timing from MYGATE_LOCAL_* variables, so tests and demos can speed the simulation up. */
export function timingFromEnv(env: NodeJS.ProcessEnv): LocalTiming {
  const read = (name: string) => {
    const value = env[name]
    return value !== undefined && value !== '' && Number.isFinite(Number(value)) ? Number(value) : undefined
  }
  return {
    podStartupMs: read('MYGATE_LOCAL_POD_STARTUP_MS'),
    readinessDelayMs: read('MYGATE_LOCAL_READINESS_DELAY_MS'),
    jobRunMs: read('MYGATE_LOCAL_JOB_RUN_MS'),
    progressDeadlineScale: read('MYGATE_LOCAL_PROGRESS_DEADLINE_SCALE'),
  }
}

export interface LocalClusterOptions {
  name: string
  region: string
  /** Directory for this cluster's state (snapshot + write-ahead log). */
  stateDir: string
  /** Port to listen on (0 or undefined: a free one). */
  port?: number
  timing?: LocalTiming
  log?: (line: string) => void
  /** The daemon's MongoDB data plane; without one, mongod containers just run (tcp probes only). */
  dataPlane?: DataPlane
  /** The environment this cluster belongs to (its clusters reach each other); default: its name. */
  clusterSet?: string
  /** API groups whose operator CRDs this cluster is bootstrapped without (bootstrap.ts, MYGATE_LOCAL_WITHOUT_CRDS). */
  withoutCrdGroups?: readonly string[]
  /** The Pod range for the cluster's nodes (kubelet/nodes.ts); default 10.244.0.0/16. A restarted cluster keeps its nodes' range. */
  podCidr?: string
}

export interface LocalCluster {
  name: string
  region: string
  clusterSet: string
  /** The Pod range its nodes' /24s come from (what another cluster's NetworkPolicies see as this region's pods). */
  podCidr: string
  url: string
  port: number
  isDown(): boolean
  /** Region outage: stop (or resume) listening; the store and controllers keep running. */
  setDown(down: boolean): Promise<void>
  apiFaults(): ApiFaultSettings | undefined
  setApiFaults(faults: ApiFaultSettings | undefined): void
  objectCounts(): {objects: number; objectsByResource: Record<string, number>}
  requests(): number
  stop(): Promise<void>
}

/**
 * One local cluster: an object store persisted under stateDir, the controllers and simulated
 * kubelet working on it, and the Kubernetes API server in front of it on 127.0.0.1.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const log = options.log ?? (() => undefined)
  mkdirSync(options.stateDir, {recursive: true})
  const store = createObjectStore({
    stateFile: join(options.stateDir, 'state.json'),
    logger: {warn: (m) => log(`[${options.name}] ${m}`), error: (m, e) => log(`[${options.name}] ${m} ${e instanceof Error ? e.stack : (e ?? '')}`)},
  })
  for (const warning of store.loadWarnings) log(`[${options.name}] state: ${warning}`)
  let faults: ApiFaultSettings | undefined
  try {
    bootstrapCluster(store, {withoutCrdGroups: options.withoutCrdGroups})
  } catch (error) {
    await store.close()
    throw error
  }
  const timing = Object.fromEntries(Object.entries(options.timing ?? {}).filter(([, v]) => v !== undefined))
  const clusterSet = options.clusterSet ?? options.name
  // Container logs live beside the state, like the kubelet's /var/log/pods: they survive restarts.
  const podLogs = new ContainerLogs(join(options.stateDir, 'pod-logs'))
  let server: Awaited<ReturnType<typeof listen>> | undefined
  const podRuntime = options.dataPlane?.attach({name: options.name, region: options.region, clusterSet, store, isDown: () => server === undefined, logs: podLogs})
  const controllers = startControllers({store, clusterName: options.name, region: options.region, timing, logger: (line) => log(`[${options.name}] ${line}`), podRuntime, podCidr: options.podCidr})
  const podCidr = clusterPodCidr(store) ?? options.podCidr ?? DEFAULT_POD_CIDR
  const serviceProxy = createPrometheusProxy({store})
  const listen = (port: number | undefined) =>
    startApiServer({store, host: '127.0.0.1', port: port ?? 0, serviceProxy, podLogs, requestHooks: {apiFaults: () => faults}, logger: log})
  try {
    server = await listen(options.port)
  } catch (error) {
    options.dataPlane?.detach(options.name)
    await controllers.stop()
    await store.close()
    throw error
  }
  const port = server.port
  let requestsBeforeRestart = 0
  return {
    name: options.name,
    region: options.region,
    clusterSet,
    podCidr,
    url: `http://127.0.0.1:${port}`,
    port,
    isDown: () => server === undefined,
    async setDown(down) {
      // The data plane is brought to this instant first: the region's members stop with exactly
      // what they had replicated by now.
      options.dataPlane?.regionChanged()
      if (down && server) {
        requestsBeforeRestart += server.stats().requests
        await server.close()
        server = undefined
      } else if (!down && !server) {
        server = await listen(port)
      }
      options.dataPlane?.regionChanged()
    },
    apiFaults: () => faults,
    setApiFaults(next) {
      faults = next && next.errorRate === 0 && next.latencyMs === 0 && !next.lostResponseRate ? undefined : next
    },
    objectCounts() {
      const objectsByResource = store.counts()
      return {objects: Object.values(objectsByResource).reduce((a, b) => a + b, 0), objectsByResource}
    },
    requests: () => requestsBeforeRestart + (server?.stats().requests ?? 0),
    async stop() {
      await server?.close()
      server = undefined
      options.dataPlane?.detach(options.name)
      await controllers.stop()
      await store.close()
    },
  }
}
