import type {KubeObject} from '../../kube/types.js'
import {type Condition, findCondition, parseTimestamp, setCondition, timestamp} from '../controllers/conditions.js'
import {fnv1a32} from '../controllers/template-hash.js'
import {type ContainerConfigProblems, NO_PROBLEMS} from './container-config.js'

/** What the faults say about one pod (see faults/faults-for.ts). */
export interface PodFaultEffects {
  /** Containers exit with code 1 right after starting: CrashLoopBackOff. */
  crash: boolean
  /** Containers run but the readiness probe fails. */
  notReady: boolean
  /** Exit code of a crashing container or of a finished run-to-completion pod (default 1 / 0). */
  exitCode?: number
  /** The terminated container's termination message (what it wrote to /dev/termination-log). */
  terminationMessage?: string
  /** A run-to-completion pod whose outcome is not known yet keeps running a little longer. */
  holdCompletion?: boolean
}

export interface KubeletTiming {
  podStartupMs: number
  readinessDelayMs: number
  jobRunMs: number
  crashLoopRestartMs: number
}

export interface KubeletStepInput {
  /** A pod already bound to a node (spec.nodeName set). */
  pod: KubeObject
  hostIP: string
  /** The IP to give the pod if it has none yet. */
  podIP: string
  /** Pods that run to completion (a Job's) terminate after jobRunMs instead of running forever. */
  runsToCompletion: boolean
  faults: PodFaultEffects
  now: number
  timing: KubeletTiming
  /** Secrets/ConfigMaps the pod needs but cannot have (see container-config.ts). */
  configProblems?: ContainerConfigProblems
}

export interface KubeletStepResult {
  status: PodStatus
  /** When the pod's status will change next without any outside event. */
  requeueAfterMs?: number
}

interface ContainerState {
  waiting?: {reason: string; message?: string}
  running?: {startedAt: string}
  terminated?: {exitCode: number; reason: string; startedAt?: string; finishedAt: string; containerID?: string; message?: string}
}

export interface ContainerStatus {
  name: string
  image: string
  imageID: string
  containerID?: string
  ready: boolean
  started: boolean
  restartCount: number
  state: ContainerState
  lastState: ContainerState
}

export interface PodStatus {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown'
  conditions?: Condition[]
  hostIP?: string
  hostIPs?: Array<{ip: string}>
  podIP?: string
  podIPs?: Array<{ip: string}>
  startTime?: string
  qosClass?: string
  containerStatuses?: ContainerStatus[]
  initContainerStatuses?: ContainerStatus[]
  [key: string]: unknown
}

interface ContainerSpec {
  name: string
  image?: string
  resources?: {requests?: Record<string, string>; limits?: Record<string, string>}
}

/** BestEffort / Burstable / Guaranteed, as the API server derives it from requests and limits. */
export function qosClass(containers: readonly ContainerSpec[]): string {
  const all = containers.map((c) => c.resources ?? {})
  if (all.every((r) => !Object.keys(r.requests ?? {}).length && !Object.keys(r.limits ?? {}).length)) return 'BestEffort'
  const guaranteed = all.every((r) => {
    const limits = r.limits ?? {}
    const requests = {...limits, ...r.requests}
    return limits.cpu !== undefined && limits.memory !== undefined && requests.cpu === limits.cpu && requests.memory === limits.memory
  })
  return guaranteed ? 'Guaranteed' : 'Burstable'
}

/** How soon a held run-to-completion pod is looked at again. */
const HOLD_RECHECK_MS = 20

const containerId = (pod: KubeObject, name: string, attempt: number): string =>
  `containerd://${fnv1a32(`${pod.metadata.uid}/${name}/${attempt}`).toString(16).padStart(8, '0')}${fnv1a32(`${name}/${attempt}/${pod.metadata.uid}`).toString(16).padStart(8, '0')}`

/**
 * The simulated kubelet's view of one pod at time `now`: a pure function of the pod, its faults
 * and the clock, so the same pod always reads the same at the same instant and the daemon can
 * restart without losing a pod's progress. Timeline for a normal pod (t0 = status.startTime):
 *
 *   t0                          Pending, containers waiting ContainerCreating, PodScheduled+Initialized
 *   t0 + podStartupMs           Running, containers started, not ready yet
 *   ... + readinessDelayMs      Ready, ContainersReady
 *
 * With a crash fault the container exits 1 on start: waiting CrashLoopBackOff, lastState
 * terminated (exit code 1), restartCount + 1 every crashLoopRestartMs, never Ready (phase stays
 * Running, as a real kubelet shows it). With notReady it runs but never turns Ready. A pod that
 * runs to completion ends Succeeded (exit 0) or, with a crash fault, Failed (exit 1) after jobRunMs.
 * Timestamps carry milliseconds: the simulation runs faster than whole seconds.
 */
export function kubeletStep(input: KubeletStepInput): KubeletStepResult {
  const {pod, now, timing, faults} = input
  const previous = (pod.status ?? {}) as PodStatus
  if (previous.phase === 'Succeeded' || previous.phase === 'Failed') return {status: previous}

  const spec = (pod.spec ?? {}) as {containers?: ContainerSpec[]; initContainers?: ContainerSpec[]}
  const containers = spec.containers ?? []
  const previousByName = new Map((previous.containerStatuses ?? []).map((c) => [c.name, c]))
  const t0 = parseTimestamp(previous.startTime) ?? now
  const problems = input.configProblems ?? NO_PROBLEMS
  // The sandbox (volumes mounted, network set up) is ready at t0, or, for a pod whose volumes
  // could not be mounted, when they finally can; containers start podStartupMs after it.
  const sandbox = findCondition(previous.conditions, 'PodReadyToStartContainers')
  const sandboxBlocked = sandbox?.status !== 'True' && problems.mounts.length > 0
  const sandboxAt = sandbox?.status === 'True' ? (parseTimestamp(sandbox.lastTransitionTime) ?? t0) : sandbox?.status === 'False' ? now : t0
  const startAt = sandboxAt + timing.podStartupMs
  const podIP = previous.podIP ?? input.podIP
  const base: PodStatus = {
    ...previous,
    phase: 'Pending',
    hostIP: input.hostIP,
    hostIPs: [{ip: input.hostIP}],
    podIP,
    podIPs: [{ip: podIP}],
    startTime: timestamp(t0),
    qosClass: qosClass([...containers, ...(spec.initContainers ?? [])]),
  }
  if ((spec.initContainers ?? []).length > 0) {
    base.initContainerStatuses = (spec.initContainers ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      containerID: containerId(pod, c.name, 0),
      ready: true,
      started: false,
      restartCount: 0,
      state: {terminated: {exitCode: 0, reason: 'Completed', startedAt: timestamp(t0), finishedAt: timestamp(t0), containerID: containerId(pod, c.name, 0)}},
      lastState: {},
    }))
  }

  const names = containers.map((c) => c.name)
  const notReadyMessage = `containers with unready status: [${names.join(' ')}]`
  let conditions = setCondition(previous.conditions, {type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp(t0)})
  conditions = setCondition(
    conditions,
    sandboxBlocked
      ? {type: 'PodReadyToStartContainers', status: 'False', lastProbeTime: null, lastTransitionTime: timestamp(t0)}
      : {type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp(sandboxAt)},
  )
  // An init container whose configuration cannot be built holds the pod before its containers.
  const blockedInit = sandboxBlocked ? [] : (spec.initContainers ?? []).filter((c) => problems.containers[c.name] && !hasRun(previous.initContainerStatuses, c.name))
  const initPending = (blockedInit.length > 0 ? blockedInit : sandboxBlocked ? (spec.initContainers ?? []) : []).map((c) => c.name)
  conditions = setCondition(
    conditions,
    initPending.length > 0
      ? {type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${initPending.join(' ')}]`, lastProbeTime: null, lastTransitionTime: timestamp(t0)}
      : {type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp(t0)},
  )
  const readiness = (ready: boolean, at: number, reason = 'ContainersNotReady', message = notReadyMessage): void => {
    for (const type of ['ContainersReady', 'Ready']) {
      conditions = setCondition(
        conditions,
        ready
          ? {type, status: 'True', lastProbeTime: null, lastTransitionTime: timestamp(at)}
          : {type, status: 'False', reason, message, lastProbeTime: null, lastTransitionTime: timestamp(at)},
      )
    }
  }
  const finish = (status: PodStatus, requeueAt?: number): KubeletStepResult => {
    status.conditions = orderConditions(conditions)
    return requeueAt === undefined ? {status} : {status, requeueAfterMs: Math.max(1, requeueAt - now)}
  }

  const waitingFor = (c: ContainerSpec, reason: string, message?: string): ContainerStatus => ({
    name: c.name,
    image: c.image ?? '',
    imageID: '',
    ready: false,
    started: false,
    restartCount: 0,
    state: {waiting: message === undefined ? {reason} : {reason, message}},
    lastState: {},
  })
  if (sandboxBlocked || blockedInit.length > 0) {
    // Volumes that cannot be mounted keep every container in ContainerCreating; an init
    // container that cannot be configured keeps the app containers in PodInitializing.
    readiness(false, t0)
    if (blockedInit.length > 0) {
      base.initContainerStatuses = (spec.initContainers ?? []).map((c) =>
        problems.containers[c.name] ? waitingFor(c, 'CreateContainerConfigError', problems.containers[c.name]) : (base.initContainerStatuses ?? []).find((s) => s.name === c.name) ?? waitingFor(c, 'PodInitializing'),
      )
    } else if (base.initContainerStatuses) {
      base.initContainerStatuses = (spec.initContainers ?? []).map((c) => waitingFor(c, 'PodInitializing'))
    }
    base.containerStatuses = containers.map((c) => waitingFor(c, sandboxBlocked ? 'ContainerCreating' : 'PodInitializing'))
    return finish(base)
  }

  if (now < startAt) {
    readiness(false, t0)
    base.containerStatuses = containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: false,
      started: false,
      restartCount: 0,
      state: {waiting: {reason: 'ContainerCreating'}},
      lastState: {},
    }))
    return finish(base, startAt)
  }

  // A container whose configuration cannot be built waits in CreateContainerConfigError; one
  // that waited there starts the moment its configuration can be built (the kubelet retries).
  const configBlocked = (c: ContainerSpec): string | undefined => (problems.containers[c.name] && !hasRun(previous.containerStatuses, c.name) ? problems.containers[c.name] : undefined)
  const recovering = (c: ContainerSpec): boolean => previousByName.get(c.name)?.state.waiting?.reason === 'CreateContainerConfigError'

  if (input.runsToCompletion) {
    if (containers.some(configBlocked)) {
      readiness(false, t0)
      base.containerStatuses = containers.map((c) => (configBlocked(c) ? waitingFor(c, 'CreateContainerConfigError', configBlocked(c)) : waitingFor(c, 'ContainerCreating')))
      return finish(base)
    }
    const runningSince = parseTimestamp(previous.containerStatuses?.find((c) => c.state.running)?.state.running?.startedAt)
    const jobStartAt = containers.some(recovering) ? now : (runningSince ?? startAt)
    const endAt = jobStartAt + timing.jobRunMs
    if (now >= endAt && faults.holdCompletion) {
      base.phase = 'Running'
      readiness(!faults.notReady, jobStartAt + timing.readinessDelayMs)
      base.containerStatuses = containers.map((c) => runningStatus(pod, c, 0, jobStartAt, !faults.notReady, {}))
      return finish(base, now + HOLD_RECHECK_MS)
    }
    if (now >= endAt) {
      const exitCode = faults.crash ? (faults.exitCode ?? 1) : (faults.exitCode ?? 0)
      const reason = exitCode === 0 ? 'Completed' : 'Error'
      base.phase = exitCode === 0 ? 'Succeeded' : 'Failed'
      readiness(false, endAt, 'PodCompleted', '')
      base.containerStatuses = containers.map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: imageId(c.image),
        containerID: containerId(pod, c.name, 0),
        ready: false,
        started: false,
        restartCount: 0,
        state: {
          terminated: {
            exitCode,
            reason,
            ...(faults.terminationMessage ? {message: faults.terminationMessage} : {}),
            startedAt: timestamp(jobStartAt),
            finishedAt: timestamp(endAt),
            containerID: containerId(pod, c.name, 0),
          },
        },
        lastState: {},
      }))
      return finish(base)
    }
    const readyAt = jobStartAt + timing.readinessDelayMs
    const ready = !faults.notReady && now >= readyAt
    readiness(ready, ready ? readyAt : jobStartAt)
    base.phase = 'Running'
    base.containerStatuses = containers.map((c) => runningStatus(pod, c, 0, jobStartAt, ready, {}))
    return finish(base, ready || faults.notReady ? endAt : Math.min(readyAt, endAt))
  }

  base.phase = 'Running'
  let nextAt: number | undefined
  let allReady = containers.length > 0
  let readySince = startAt
  let anyWaiting = false
  base.containerStatuses = containers.map((c) => {
    const prev = previousByName.get(c.name)
    const restarts = prev?.restartCount ?? 0
    const crashLooping = prev?.state.waiting?.reason === 'CrashLoopBackOff'
    const blocked = configBlocked(c)
    if (blocked) {
      allReady = false
      anyWaiting = true
      return waitingFor(c, 'CreateContainerConfigError', blocked)
    }
    if (faults.crash) {
      allReady = false
      // First crash: when the container would have started, or now if it was running until the fault.
      const lastCrash = crashLooping ? (parseTimestamp(prev?.lastState.terminated?.finishedAt) ?? now) : prev?.state.running || recovering(c) ? now : startAt
      const period = Math.max(1, timing.crashLoopRestartMs)
      const cycles = crashLooping ? Math.floor((now - lastCrash) / period) : 0
      const crashAt = lastCrash + cycles * period
      nextAt = Math.min(nextAt ?? Infinity, crashAt + period)
      const attempt = restarts + cycles
      return {
        name: c.name,
        image: c.image ?? '',
        imageID: imageId(c.image),
        containerID: containerId(pod, c.name, attempt),
        ready: false,
        started: false,
        restartCount: attempt,
        state: {waiting: {reason: 'CrashLoopBackOff', message: `back-off ${Math.round(period / 1000) || 1}s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`}},
        lastState: {terminated: {exitCode: faults.exitCode ?? 1, reason: 'Error', startedAt: timestamp(crashAt), finishedAt: timestamp(crashAt), containerID: containerId(pod, c.name, attempt)}},
      }
    }
    // Running: keep the start time of a running container; a crash-looping one restarts now.
    const restartedNow = crashLooping
    const startedAt = restartedNow || recovering(c) ? now : (parseTimestamp(prev?.state.running?.startedAt) ?? startAt)
    const attempt = restartedNow ? restarts + 1 : restarts
    const readyAt = startedAt + timing.readinessDelayMs
    const ready = !faults.notReady && now >= readyAt
    if (!ready) {
      allReady = false
      if (!faults.notReady) nextAt = Math.min(nextAt ?? Infinity, readyAt)
    } else {
      readySince = Math.max(readySince, readyAt)
    }
    return runningStatus(pod, c, attempt, startedAt, ready, prev?.lastState ?? {})
  })
  readiness(allReady, allReady ? readySince : now)
  // A container that has never run keeps the pod Pending (upstream getPhase: waiting > 0).
  if (anyWaiting) base.phase = 'Pending'
  return finish(base, nextAt)
}

/** Whether a container has run before (running, terminated, or restarted): its configuration was built then. */
function hasRun(statuses: readonly ContainerStatus[] | undefined, name: string): boolean {
  const status = statuses?.find((c) => c.name === name)
  return Boolean(status && (status.state.running || status.state.terminated || status.restartCount > 0 || status.lastState.terminated))
}

function runningStatus(pod: KubeObject, c: ContainerSpec, attempt: number, startedAt: number, ready: boolean, lastState: ContainerState): ContainerStatus {
  return {
    name: c.name,
    image: c.image ?? '',
    imageID: imageId(c.image),
    containerID: containerId(pod, c.name, attempt),
    ready,
    started: true,
    restartCount: attempt,
    state: {running: {startedAt: timestamp(startedAt)}},
    lastState,
  }
}

const imageId = (image: string | undefined): string => (image ? `${image.split(':')[0]}@sha256:${fnv1a32(image).toString(16).padStart(8, '0').repeat(8)}` : '')

const CONDITION_ORDER = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']

/** kubectl describe lists conditions in the kubelet's order; keep it. */
function orderConditions(conditions: Condition[]): Condition[] {
  const rank = (type: string) => {
    const index = CONDITION_ORDER.indexOf(type)
    return index === -1 ? CONDITION_ORDER.length : index
  }
  return [...conditions].sort((a, b) => rank(a.type) - rank(b.type))
}

/** Status for a pod no node can take: Pending with PodScheduled=False, reason Unschedulable. */
export function unschedulableStatus(pod: KubeObject, message: string, now: number): PodStatus {
  const previous = (pod.status ?? {}) as PodStatus
  const conditions = setCondition(previous.conditions, {
    type: 'PodScheduled',
    status: 'False',
    reason: 'Unschedulable',
    message,
    lastProbeTime: null,
    lastTransitionTime: timestamp(now),
  })
  return {...previous, phase: 'Pending', conditions}
}
