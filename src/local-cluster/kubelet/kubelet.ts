import type {KubeObject} from '../../kube/types.js'
import {applyActions, sameJson, type Action} from '../controllers/actions.js'
import {eventAction} from '../controllers/events.js'
import {controllerRef, keyOf, splitKey} from '../controllers/owner-refs.js'
import {isPodActive} from '../controllers/pod-state.js'
import {CONFIGMAPS, NODES, PODS, PVCS, SECRETS, STORAGECLASSES} from '../controllers/resources.js'
import type {ControllerContext, ControllerDefinition} from '../controllers/runtime.js'
import {faultsFor, podIdentity} from '../faults/faults-for.js'
import {listFaults} from '../faults/fault-store.js'
import {FAULTS, SERVICE_LABEL, type FaultSpec} from '../faults/types.js'
import {type ConfigSource, containerConfigProblems, referencedConfig} from './container-config.js'
import {type ContainerStatus, kubeletStep, type PodFaultEffects, unschedulableStatus} from './kubelet-step.js'
import {nodeInternalIp} from './nodes.js'
import {allocatePodIp} from './pod-ip.js'
import {EMPTY_USAGE, type NodeUsage, pickNode, podFootprint, type VolumeLookup} from './scheduler.js'

const UNSCHEDULABLE_RETRY_MS = 1000

/**
 * The scheduler and the kubelets of every simulated node in one controller: binds pending pods
 * to nodes, hands out pod IPs, and writes the status kubeletStep computes. Keeps an index of
 * which active pod sits on which node with which IP, fed by the pod watch.
 */
export function kubeletController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  /** pod key -> {node, ip, what it requests} for active bound pods. */
  const placements = new Map<string, {node: string; ip?: string; footprint: NodeUsage}>()
  const usageOnNode = new Map<string, NodeUsage>()
  const ipsInUse = new Set<string>()
  /** Pods no node could take last time: capacity freed elsewhere may let them in. */
  const unschedulable = new Set<string>()

  const addUsage = (node: string, footprint: NodeUsage, sign: 1 | -1): void => {
    const current = usageOnNode.get(node) ?? EMPTY_USAGE
    usageOnNode.set(node, {
      pods: current.pods + sign * footprint.pods,
      cpuMilli: current.cpuMilli + sign * footprint.cpuMilli,
      memoryBytes: current.memoryBytes + sign * footprint.memoryBytes,
    })
  }
  const forget = (key: string): void => {
    const placed = placements.get(key)
    if (!placed) return
    placements.delete(key)
    addUsage(placed.node, placed.footprint, -1)
    if (placed.ip) ipsInUse.delete(placed.ip)
  }
  const remember = (key: string, pod: KubeObject, node: string, ip: string | undefined): void => {
    const placed = placements.get(key)
    if (placed && placed.node === node && placed.ip === ip) return
    forget(key)
    const footprint = placed?.node === node ? placed.footprint : podFootprint(pod)
    placements.set(key, {node, ip, footprint})
    addUsage(node, footprint, 1)
    if (ip) ipsInUse.add(ip)
  }
  const track = (pod: KubeObject, deleted: boolean): void => {
    const key = keyOf(pod)
    const node = (pod.spec as {nodeName?: string} | undefined)?.nodeName
    if (deleted || !node || !isPodActive(pod)) forget(key)
    else remember(key, pod, node, (pod.status as {podIP?: string} | undefined)?.podIP)
    if (deleted) unschedulable.delete(key)
  }
  const volumes: VolumeLookup = {
    claim: (namespace, name) => store.get(PVCS, namespace, name),
    storageClass: (name) => (store.typeFor(STORAGECLASSES) ? store.get(STORAGECLASSES, undefined, name) : undefined),
  }

  const configSource = (namespace: string | undefined): ConfigSource => ({
    secret: (name) => store.get(SECRETS, namespace, name),
    configMap: (name) => store.get(CONFIGMAPS, namespace, name),
  })
  /** Pods of a namespace that read this Secret or ConfigMap: the kubelet looks at them again when it changes. */
  const podsReading = (kind: 'secrets' | 'configMaps', object: KubeObject): string[] =>
    store
      .list(PODS, {namespace: object.metadata.namespace})
      .items.filter((pod) => (pod.spec as {nodeName?: string} | undefined)?.nodeName && referencedConfig(pod)[kind].has(String(object.metadata.name)))
      .map(keyOf)

  const podsOfService = (namespace: string | undefined, service: string | undefined): string[] => {
    const items = store.list(PODS, {namespace}).items
    return items.filter((pod) => !service || pod.metadata.labels?.[SERVICE_LABEL] === service).map(keyOf)
  }

  return {
    name: 'kubelet',
    externalKeys: context.podRuntime ? (enqueue) => context.podRuntime!.onPodsChanged((keys) => keys.forEach(enqueue)) : undefined,
    watches: [
      {
        ref: PODS,
        keys(event) {
          const wasPlaced = placements.has(keyOf(event.object))
          track(event.object, event.type === 'DELETED')
          if (event.type === 'DELETED') context.podRuntime?.podDeleted?.(event.object)
          const own = event.type === 'DELETED' ? [] : [keyOf(event.object)]
          // A pod leaving a node frees room: pods that fitted nowhere try again (the scheduler's requeue on pod deletion).
          return wasPlaced && !placements.has(keyOf(event.object)) ? [...own, ...unschedulable] : own
        },
      },
      // A claim that becomes bound (or appears) may let its pods be scheduled.
      {ref: PVCS, keys: (event) => [...unschedulable].filter((key) => splitKey(key).namespace === event.object.metadata.namespace)},
      // A fault (or its removal) changes how that service's pods run.
      {ref: FAULTS, keys: (event) => podsOfService(event.object.metadata.namespace, (event.object.spec as Partial<FaultSpec> | undefined)?.service)},
      // A pod waiting for a Secret or ConfigMap (or a key in one) starts once it appears.
      {ref: SECRETS, keys: (event) => podsReading('secrets', event.object)},
      {ref: CONFIGMAPS, keys: (event) => podsReading('configMaps', event.object)},
      // A new or changed node may take pods that fitted nowhere.
      {ref: NODES, keys: () => store.list(PODS).items.filter((pod) => !(pod.spec as {nodeName?: string} | undefined)?.nodeName).map(keyOf)},
    ],
    reconcile(key) {
      const {namespace, name} = splitKey(key)
      let pod = store.get(PODS, namespace, name)
      if (!pod) return
      const now = context.clock()
      if (pod.metadata.deletionTimestamp) {
        // Containers are gone at once; the object goes when its finalizers do.
        if (!(pod.metadata.finalizers ?? []).length) store.delete(PODS, namespace, name, {preconditions: {uid: pod.metadata.uid}})
        return
      }
      const nodes = store.list(NODES).items
      const events: Action[] = []
      let nodeName = (pod.spec as {nodeName?: string} | undefined)?.nodeName
      if (!nodeName) {
        const decision = pickNode(pod, nodes, (node) => usageOnNode.get(node) ?? EMPTY_USAGE, volumes)
        if ('unschedulable' in decision) {
          unschedulable.add(key)
          const status = unschedulableStatus(pod, decision.unschedulable, now)
          if (!sameJson(pod.status, status)) {
            store.update(PODS, {...pod, status}, {subresource: 'status'})
            applyActions(store, [eventAction(pod, 'Warning', 'FailedScheduling', decision.unschedulable, 'default-scheduler', now)])
          }
          return {requeueAfterMs: UNSCHEDULABLE_RETRY_MS}
        }
        unschedulable.delete(key)
        nodeName = decision.nodeName
        pod = store.update(PODS, {...pod, spec: {...(pod.spec as object), nodeName}})
        remember(key, pod, nodeName, undefined)
        events.push(eventAction(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${nodeName}`, 'default-scheduler', now))
      }
      const node = nodes.find((n) => n.metadata.name === nodeName)
      const existingIp = (pod.status as {podIP?: string} | undefined)?.podIP
      const podCidr = (node?.spec as {podCIDR?: string} | undefined)?.podCIDR ?? '10.244.250.0/24'
      const podIP = existingIp ?? allocatePodIp(podCidr, ipsInUse) ?? '10.244.255.254'
      const identity = podIdentity(pod)
      const effects = faultsFor(identity.service, identity.version, identity.service ? listFaults(store, namespace) : [])
      const problems = containerConfigProblems(pod, configSource(namespace))
      const runsToCompletion = controllerRef(pod)?.kind === 'Job'
      const runtime = runtimeEffects(context, {...pod, status: {...(pod.status as object), podIP}}, runsToCompletion, now)
      const result = kubeletStep({
        pod,
        configProblems: problems,
        hostIP: node ? nodeInternalIp(node) : '172.18.0.2',
        podIP,
        runsToCompletion,
        faults: {...runtime, crash: effects.crash || runtime.crash, notReady: effects.notReady || runtime.notReady},
        now,
        timing: context.timing,
      })
      if (isPodActive({...pod, status: result.status})) remember(key, pod, nodeName, result.status.podIP)
      else forget(key)
      if (!sameJson(pod.status, result.status)) {
        store.update(PODS, {...pod, status: result.status}, {subresource: 'status'})
        events.push(...containerEvents(pod, [...(result.status.initContainerStatuses ?? []), ...(result.status.containerStatuses ?? [])], effects.notReady || runtime.notReady, now, runtime.probeMessage))
      }
      if (result.status.conditions?.some((c) => c.type === 'PodReadyToStartContainers' && c.status === 'False')) {
        for (const message of problems.mounts) events.push(eventAction(pod, 'Warning', 'FailedMount', message, 'kubelet', now))
      }
      if (events.length > 0) applyActions(store, events)
      return result.requeueAfterMs === undefined ? undefined : {requeueAfterMs: result.requeueAfterMs}
    },
  }
}

/** What the pod runtime (the data plane) says about a bound pod, as kubeletStep's fault effects. */
function runtimeEffects(context: ControllerContext, pod: KubeObject, runsToCompletion: boolean, now: number): PodFaultEffects & {probeMessage?: string} {
  const runtime = context.podRuntime
  if (!runtime) return {crash: false, notReady: false}
  const verdict = runtime.containers(pod, now)
  const effects: PodFaultEffects & {probeMessage?: string} = {
    crash: verdict?.crashExitCode !== undefined,
    notReady: verdict?.notReady === true,
    ...(verdict?.crashExitCode !== undefined ? {exitCode: verdict.crashExitCode} : {}),
    ...(verdict?.probeMessage ? {probeMessage: verdict.probeMessage} : {}),
  }
  const startedAt = Date.parse(String((pod.status as {startTime?: string} | undefined)?.startTime ?? '')) || now
  if (runsToCompletion && now >= startedAt + context.timing.podStartupMs + context.timing.jobRunMs) {
    const outcome = runtime.completion(pod, now)
    if (outcome === 'pending') effects.holdCompletion = true
    else if (outcome) {
      effects.exitCode = outcome.exitCode
      if (outcome.terminationMessage) effects.terminationMessage = outcome.terminationMessage
    }
  }
  return effects
}

/** The kubelet's events for what just changed in a pod's containers (each recorded once per pod). */
function containerEvents(pod: KubeObject, next: readonly ContainerStatus[], notReady: boolean, now: number, probeMessage?: string): Action[] {
  const earlier = pod.status as {containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[]} | undefined
  const previous = new Map([...(earlier?.initContainerStatuses ?? []), ...(earlier?.containerStatuses ?? [])].map((c) => [c.name, c]))
  const events: Action[] = []
  for (const container of next) {
    const before = previous.get(container.name)
    const configError = container.state.waiting?.reason === 'CreateContainerConfigError' ? container.state.waiting.message : undefined
    if (configError !== undefined && before?.state.waiting?.message !== configError) {
      // The kubelet's startContainer failure: `Error: secret "x" not found` (reason Failed).
      events.push(eventAction(pod, 'Warning', 'Failed', `Error: ${configError}`, 'kubelet', now))
    }
    if (container.state.running && !before?.state.running) {
      events.push(eventAction(pod, 'Normal', 'Started', `Started container ${container.name}`, 'kubelet', now))
    }
    if (container.state.waiting?.reason === 'CrashLoopBackOff' && before?.state.waiting?.reason !== 'CrashLoopBackOff') {
      events.push(eventAction(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${container.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`, 'kubelet', now))
    }
    if (notReady && container.state.running && !container.ready) {
      events.push(eventAction(pod, 'Warning', 'Unhealthy', `Readiness probe failed: ${probeMessage ?? 'HTTP probe failed with statuscode: 503'}`, 'kubelet', now))
    }
  }
  return events
}
