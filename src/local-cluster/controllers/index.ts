import {buildNodes, ensureNodes} from '../kubelet/nodes.js'
import type {PodRuntime} from '../kubelet/pod-runtime.js'
import {kubeletController} from '../kubelet/kubelet.js'
import {persistentVolumeController} from '../storage/persistent-volume-controller.js'
import {ensureDefaultStorageClass} from '../storage/storage-classes.js'
import {metricsRecorderFor, releaseMetricsRecorder} from '../metrics/recorder.js'
import type {ObjectStore} from '../store/types.js'
import {cronJobController} from './cronjob-controller.js'
import {deploymentController} from './deployment-controller.js'
import {endpointsController} from './endpoints-controller.js'
import {eventTtlController} from './event-ttl-controller.js'
import {garbageCollector} from './garbage-collector.js'
import {jobController} from './job-controller.js'
import {loadBalancerController} from './load-balancer-controller.js'
import {namespaceController} from './namespace-controller.js'
import {replicaSetController} from './replicaset-controller.js'
import {resourceQuotaController} from './resource-quota-controller.js'
import {serviceAccountController} from './service-account-controller.js'
import {statefulSetController} from './statefulset-controller.js'
import {
  type ControllerContext,
  type ControllerDefinition,
  type ControllerLogger,
  type ControllerTiming,
  DEFAULT_TIMING,
  type RunningController,
  runController,
} from './runtime.js'

export type {ControllerLogger, ControllerTiming, LogLevel} from './runtime.js'
export {DEFAULT_TIMING} from './runtime.js'

export interface StartControllersOptions {
  store: ObjectStore
  clusterName: string
  region: string
  /** Zones for the simulated nodes; default REGION-a, REGION-b, REGION-c. */
  zones?: string[]
  /** Simulated nodes; default 3. */
  nodeCount?: number
  /** The cluster's Pod range (kubelet/nodes.ts); default 10.244.0.0/16. */
  podCidr?: string
  /** Simulated durations in ms; anything left out takes DEFAULT_TIMING's value. */
  timing?: Partial<ControllerTiming>
  /** Milliseconds since the epoch; default Date.now. Timers still run on real time. */
  clock?: () => number
  logger?: ControllerLogger
  /** What runs in the simulated containers (the data plane); without it containers just run. */
  podRuntime?: PodRuntime
}

export interface ControllersHandle {
  stop(): Promise<void>
  /** Resolves once every controller's queue has been empty for a couple of turns of the event loop. */
  settle(): Promise<void>
}

/** DEFAULT_TIMING overridden by every given, finite, non-negative value (undefined keeps the default). */
export function resolveTiming(timing: Partial<ControllerTiming> | undefined): ControllerTiming {
  const resolved = {...DEFAULT_TIMING}
  for (const key of Object.keys(DEFAULT_TIMING) as Array<keyof ControllerTiming>) {
    const value = timing?.[key]
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) resolved[key] = value
  }
  return resolved
}

/** Which controllers run, in start order (nodes exist before the kubelet looks for them). */
const CONTROLLERS: Array<(context: ControllerContext) => ControllerDefinition> = [
  kubeletController,
  replicaSetController,
  deploymentController,
  statefulSetController,
  jobController,
  cronJobController,
  endpointsController,
  garbageCollector,
  namespaceController,
  eventTtlController,
  resourceQuotaController,
  persistentVolumeController,
  serviceAccountController,
]

/**
 * Starts the simulated control plane of one local cluster against its store: the nodes, the
 * workload controllers, the garbage collector and the kubelet. Controllers talk to the store
 * as kube-controller-manager talks to the API: watch, get/list, then create/update/delete.
 */
export function startControllers(options: StartControllersOptions): ControllersHandle {
  const clock = options.clock ?? Date.now
  const logger = options.logger
  const context: ControllerContext = {
    store: options.store,
    clock,
    log: (level, message) => {
      if (logger && (level === 'warn' || level === 'error')) logger(`${level} ${message}`)
    },
    timing: resolveTiming(options.timing),
    podRuntime: options.podRuntime,
  }
  ensureNodes(options.store, buildNodes({clusterName: options.clusterName, region: options.region, zones: options.zones, count: options.nodeCount, podCidr: options.podCidr, now: clock()}))
  // The cloud's default StorageClass and its provisioner come with the nodes (see storage/).
  ensureDefaultStorageClass(options.store)
  const running: RunningController[] = CONTROLLERS.map((make) => runController(make(context), context))
  // Load-balancer addresses are derived from the cluster's name, so they stay the same across re-creates.
  running.push(runController(loadBalancerController(context, options.clusterName), context))
  // Metrics history starts with the cluster, so the first analysis already has a window to read.
  metricsRecorderFor(options.store, clock)
  return {
    async stop() {
      for (const controller of running) controller.stop()
      releaseMetricsRecorder(options.store)
    },
    async settle() {
      let quietTurns = 0
      while (quietTurns < 3) {
        await new Promise((resolve) => setImmediate(resolve))
        quietTurns = running.every((controller) => controller.idle()) ? quietTurns + 1 : 0
      }
    },
  }
}
