import type {KubeObject} from '../../kube/types.js'
import {type Action, type CreateReport, sameJson} from './actions.js'
import type {LabelSelector} from './label-selector.js'
import {ownerRefTo} from './owner-refs.js'
import {isPodActive, isPodReady, countAvailable, podPhase} from './pod-state.js'
import {eventAction} from './events.js'
import {PODS, PVCS, STATEFULSETS} from './resources.js'
import {computeTemplateHash} from './template-hash.js'

export const REVISION_LABEL = 'controller-revision-hash'
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name'
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index'

interface ClaimTemplate {
  metadata?: {name?: string; labels?: Record<string, string>; annotations?: Record<string, string>}
  spec?: {accessModes?: string[]; resources?: {requests?: {storage?: string}}; storageClassName?: string; [key: string]: unknown}
}

interface StatefulSetSpec {
  replicas?: number
  serviceName?: string
  podManagementPolicy?: 'OrderedReady' | 'Parallel'
  minReadySeconds?: number
  selector?: LabelSelector
  updateStrategy?: {type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: {partition?: number}}
  volumeClaimTemplates?: ClaimTemplate[]
  template?: {metadata?: {labels?: Record<string, string>; annotations?: Record<string, string>}; spec?: {volumes?: Array<{name: string}>; [key: string]: unknown}}
}

export interface StatefulSetStatus {
  observedGeneration?: number
  replicas: number
  readyReplicas: number
  availableReplicas: number
  currentReplicas: number
  updatedReplicas: number
  currentRevision: string
  updateRevision: string
  collisionCount: number
}

/** `NAME-HASH`, the revision name pods carry in controller-revision-hash. */
export function statefulSetRevision(sts: KubeObject): string {
  return `${sts.metadata.name}-${computeTemplateHash((sts.spec as StatefulSetSpec | undefined)?.template)}`
}

export function ordinalOf(sts: KubeObject, pod: KubeObject): number | undefined {
  const prefix = `${sts.metadata.name}-`
  const name = pod.metadata.name ?? ''
  if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(prefix.length))) return undefined
  return Number(name.slice(prefix.length))
}

export const claimName = (template: ClaimTemplate, sts: KubeObject, ordinal: number): string => `${template.metadata?.name}-${sts.metadata.name}-${ordinal}`

export function buildStatefulPod(sts: KubeObject, ordinal: number, revision: string): KubeObject {
  const spec = (sts.spec ?? {}) as StatefulSetSpec
  const name = `${sts.metadata.name}-${ordinal}`
  const podSpec = structuredClone(spec.template?.spec ?? {containers: []}) as {volumes?: Array<{name: string}>; [key: string]: unknown}
  const volumes = [...(podSpec.volumes ?? [])]
  for (const claim of spec.volumeClaimTemplates ?? []) {
    const volumeName = claim.metadata?.name as string
    if (!volumes.some((v) => v.name === volumeName)) volumes.push({name: volumeName, persistentVolumeClaim: {claimName: claimName(claim, sts, ordinal)}} as {name: string})
  }
  if (volumes.length) podSpec.volumes = volumes
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: sts.metadata.namespace,
      labels: {...spec.template?.metadata?.labels, [REVISION_LABEL]: revision, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal)},
      ...(spec.template?.metadata?.annotations ? {annotations: {...spec.template.metadata.annotations}} : {}),
      ownerReferences: [ownerRefTo(sts)],
    },
    spec: {...podSpec, hostname: name, ...(spec.serviceName ? {subdomain: spec.serviceName} : {})},
  }
}

/**
 * The claim for one ordinal, from the template (upstream getPersistentVolumeClaims): labelled
 * with the selector's labels, no storage class unless the template names one (admission then
 * assigns the default StorageClass, and the persistent-volume controller binds it).
 */
export function buildClaim(sts: KubeObject, template: ClaimTemplate, ordinal: number): KubeObject {
  const spec = (sts.spec ?? {}) as StatefulSetSpec
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(template, sts, ordinal),
      namespace: sts.metadata.namespace,
      labels: {...template.metadata?.labels, ...spec.selector?.matchLabels},
      ...(template.metadata?.annotations ? {annotations: {...template.metadata.annotations}} : {}),
    },
    spec: {accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem', ...structuredClone(template.spec ?? {})},
  }
}

/**
 * One pass of the StatefulSet controller. OrderedReady (the default): pods NAME-0, NAME-1, ...
 * are created one at a time, each once every lower ordinal is Running and Ready; scale-down
 * removes the highest ordinal first, one at a time. Parallel: all at once. Claims from
 * volumeClaimTemplates are created (Bound) before their pod. RollingUpdate replaces pods whose
 * revision differs, from the highest ordinal down to the partition, one at a time and only when
 * every pod is Ready; OnDelete leaves that to the user. New pods always get the update revision
 * (no ControllerRevision history is kept, so a partitioned rollout recreates deleted low
 * ordinals at the new revision).
 */
export function reconcileStatefulSet(sts: KubeObject, pods: readonly KubeObject[], claims: readonly KubeObject[], now: number): {actions: Action[]; status: StatefulSetStatus; requeueAfterMs?: number} {
  const spec = (sts.spec ?? {}) as StatefulSetSpec
  const replicas = spec.replicas ?? 1
  const ordered = spec.podManagementPolicy !== 'Parallel'
  const updateRevision = statefulSetRevision(sts)
  const old = (sts.status ?? {}) as Partial<StatefulSetStatus>
  let currentRevision = old.currentRevision ?? updateRevision
  const actions: Action[] = []
  const byOrdinal = new Map<number, KubeObject>()
  for (const pod of pods) {
    const ordinal = ordinalOf(sts, pod)
    if (ordinal !== undefined) byOrdinal.set(ordinal, pod)
  }
  const claimNames = new Set(claims.map((c) => c.metadata.name))
  const healthy = (pod: KubeObject | undefined) => pod !== undefined && isPodActive(pod) && podPhase(pod) === 'Running' && isPodReady(pod)
  const event = (reason: string, message: string) => eventAction(sts, 'Normal', reason, message, 'statefulset-controller', now)
  const report = (success: string, failurePrefix: string): CreateReport => ({owner: sts, component: 'statefulset-controller', now, success: {reason: 'SuccessfulCreate', message: success}, failurePrefix})
  const deletePod = (pod: KubeObject) =>
    actions.push(
      {type: 'delete', ref: PODS, namespace: pod.metadata.namespace, name: pod.metadata.name as string, uid: pod.metadata.uid},
      event('SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`),
    )

  if (!sts.metadata.deletionTimestamp) {
    let blocked = false
    for (let ordinal = 0; ordinal < replicas && !blocked; ordinal++) {
      const pod = byOrdinal.get(ordinal)
      if (!pod) {
        for (const template of spec.volumeClaimTemplates ?? []) {
          const name = claimName(template, sts, ordinal)
          if (claimNames.has(name)) continue
          const podName = `${sts.metadata.name}-${ordinal}`
          actions.push({
            type: 'create',
            ref: PVCS,
            object: buildClaim(sts, template, ordinal),
            report: report(
              `create Claim ${name} Pod ${podName} in StatefulSet ${sts.metadata.name} success`,
              `create Claim ${name} for Pod ${podName} in StatefulSet ${sts.metadata.name} failed error: `,
            ),
          })
        }
        actions.push({
          type: 'create',
          ref: PODS,
          object: buildStatefulPod(sts, ordinal, updateRevision),
          report: report(
            `create Pod ${sts.metadata.name}-${ordinal} in StatefulSet ${sts.metadata.name} successful`,
            `create Pod ${sts.metadata.name}-${ordinal} in StatefulSet ${sts.metadata.name} failed error: `,
          ),
        })
        if (ordered) blocked = true
        continue
      }
      const phase = podPhase(pod)
      if (phase === 'Failed' || phase === 'Succeeded') {
        // A finished pod of a StatefulSet is replaced under the same name.
        if (!pod.metadata.deletionTimestamp) deletePod(pod)
        if (ordered) blocked = true
        continue
      }
      if (ordered && !healthy(pod)) blocked = true
    }
    const condemned = [...byOrdinal.entries()].filter(([ordinal]) => ordinal >= replicas).sort((a, b) => b[0] - a[0])
    if (condemned.length > 0) {
      const lowerHealthy = [...byOrdinal.entries()].filter(([ordinal]) => ordinal < replicas).every(([, pod]) => healthy(pod))
      if (!ordered) for (const [, pod] of condemned) deletePod(pod)
      else if (lowerHealthy && !condemned.some(([, pod]) => pod.metadata.deletionTimestamp)) deletePod(condemned[0][1])
    }
    const strategy = spec.updateStrategy?.type ?? 'RollingUpdate'
    const everyoneUp = Array.from({length: replicas}, (_, i) => byOrdinal.get(i)).every(healthy)
    if (strategy === 'RollingUpdate' && everyoneUp && condemned.length === 0 && !actions.length) {
      const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0
      for (let ordinal = replicas - 1; ordinal >= partition; ordinal--) {
        const pod = byOrdinal.get(ordinal) as KubeObject
        if (pod.metadata.labels?.[REVISION_LABEL] !== updateRevision) {
          deletePod(pod)
          break
        }
      }
    }
  }

  const active = pods.filter(isPodActive)
  const {available, requeueAfterMs} = countAvailable(active, spec.minReadySeconds ?? 0, now)
  const updated = active.filter((pod) => pod.metadata.labels?.[REVISION_LABEL] === updateRevision)
  const ready = active.filter(isPodReady).length
  // The rollout is done once every replica runs the update revision and is ready.
  if (updated.length === replicas && active.length === replicas && ready === replicas) currentRevision = updateRevision
  const status: StatefulSetStatus = {
    observedGeneration: sts.metadata.generation,
    replicas: active.length,
    readyReplicas: ready,
    availableReplicas: available,
    currentReplicas: active.filter((pod) => pod.metadata.labels?.[REVISION_LABEL] === currentRevision).length,
    updatedReplicas: updated.length,
    currentRevision,
    updateRevision,
    collisionCount: old.collisionCount ?? 0,
  }
  const merged = {...(sts.status as object | undefined), ...status}
  if (!sameJson(sts.status ?? {}, merged)) actions.push({type: 'updateStatus', ref: STATEFULSETS, object: {...sts, status: merged}})
  return {actions, status, requeueAfterMs}
}
