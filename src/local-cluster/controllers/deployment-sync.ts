import type {KubeObject} from '../../kube/types.js'
import {type Action, sameJson} from './actions.js'
import {parseTimestamp} from './conditions.js'
import {computeDeploymentStatus, type DeploymentStatus, isComplete} from './deployment-status.js'
import {eventAction} from './events.js'
import type {LabelSelector} from './label-selector.js'
import {ownerRefTo} from './owner-refs.js'
import {DEPLOYMENTS, REPLICASETS} from './resources.js'
import {
  availabilityThreshold,
  type IntOrPercent,
  newReplicaSetSize,
  proportionalScale,
  resolveFenceposts,
  scaleDownOldReplicaSets,
} from './rolling-update.js'
import {computeTemplateHash, POD_TEMPLATE_HASH, templatesEqualIgnoringHash} from './template-hash.js'

export {isComplete, type DeploymentStatus} from './deployment-status.js'

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision'
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas'
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas'
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause'

/** Deployment annotations that describe the Deployment itself and are not copied to its ReplicaSets. */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
])

const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
const DEFAULT_REVISION_HISTORY_LIMIT = 10

interface DeploymentSpec {
  replicas?: number
  paused?: boolean
  minReadySeconds?: number
  revisionHistoryLimit?: number
  progressDeadlineSeconds?: number
  selector?: LabelSelector
  strategy?: {type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: {maxSurge?: IntOrPercent; maxUnavailable?: IntOrPercent}}
  template?: {metadata?: {labels?: Record<string, string>; annotations?: Record<string, string>}; spec?: unknown}
}

interface ReplicaSetStatus {
  replicas?: number
  readyReplicas?: number
  availableReplicas?: number
}

export interface DeploymentSyncInput {
  deployment: KubeObject
  /** The ReplicaSets this Deployment controls (controller ownerReference uid). */
  replicaSets: readonly KubeObject[]
  now: number
  /** progressDeadlineSeconds is multiplied by this (1 = real time). */
  progressDeadlineScale?: number
}

export interface DeploymentSyncResult {
  actions: Action[]
  /** The status the Deployment should have after the actions (also inside the updateStatus action, if any). */
  status: DeploymentStatus
  requeueAfterMs?: number
}

const specOf = (deployment: KubeObject): DeploymentSpec => (deployment.spec ?? {}) as DeploymentSpec
const rsReplicas = (rs: KubeObject): number => ((rs.spec as {replicas?: number} | undefined)?.replicas ?? 0)
const rsStatus = (rs: KubeObject): ReplicaSetStatus => (rs.status ?? {}) as ReplicaSetStatus
export const revisionOf = (object: KubeObject): number => Number(object.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) || 0
const createdAt = (object: KubeObject): number => parseTimestamp(object.metadata.creationTimestamp) ?? 0

/** Oldest first, by creation time then name (upstream's ReplicaSetsByCreationTimestamp). */
function byAge(a: KubeObject, b: KubeObject): number {
  return createdAt(a) - createdAt(b) || String(a.metadata.name).localeCompare(String(b.metadata.name))
}

/** The ReplicaSet running the Deployment's current template, if one exists. */
export function findNewReplicaSet(deployment: KubeObject, replicaSets: readonly KubeObject[]): KubeObject | undefined {
  const spec = specOf(deployment)
  const hash = computeTemplateHash(spec.template, collisionCountOf(deployment))
  const candidates = replicaSets.filter(
    (rs) => templatesEqualIgnoringHash((rs.spec as {template?: unknown})?.template, spec.template) || rs.metadata.labels?.[POD_TEMPLATE_HASH] === hash,
  )
  return [...candidates].sort(byAge)[0]
}

const collisionCountOf = (deployment: KubeObject): number => ((deployment.status as DeploymentStatus | undefined)?.collisionCount ?? 0)

/** Builds the ReplicaSet for the Deployment's current template (upstream getNewReplicaSet). */
export function buildReplicaSet(deployment: KubeObject, replicas: number, revision: number, maxSurge: number): KubeObject {
  const spec = specOf(deployment)
  const hash = computeTemplateHash(spec.template, collisionCountOf(deployment))
  const template = structuredClone(spec.template ?? {})
  template.metadata = {...template.metadata, labels: {...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash}}
  const annotations: Record<string, string> = {}
  for (const [key, value] of Object.entries(deployment.metadata.annotations ?? {})) if (!NOT_COPIED.has(key)) annotations[key] = value
  annotations[REVISION_ANNOTATION] = String(revision)
  annotations[DESIRED_REPLICAS_ANNOTATION] = String(spec.replicas ?? 1)
  annotations[MAX_REPLICAS_ANNOTATION] = String((spec.replicas ?? 1) + maxSurge)
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${deployment.metadata.name}-${hash}`,
      namespace: deployment.metadata.namespace,
      labels: {...template.metadata.labels},
      annotations,
      ownerReferences: [ownerRefTo(deployment)],
    },
    spec: {
      replicas,
      minReadySeconds: spec.minReadySeconds ?? 0,
      selector: {...spec.selector, matchLabels: {...spec.selector?.matchLabels, [POD_TEMPLATE_HASH]: hash}},
      template,
    },
  }
}

/**
 * One pass of the Deployment controller (upstream syncDeployment): find or create the new
 * ReplicaSet, scale new and old ReplicaSets by the strategy, drop old history, and compute the
 * status kubectl rollout status reads. Pure: returns the writes to make.
 */
export function reconcileDeployment(input: DeploymentSyncInput): DeploymentSyncResult {
  const {deployment, now} = input
  const spec = specOf(deployment)
  const replicas = spec.replicas ?? 1
  const strategy = spec.strategy?.type === 'Recreate' ? 'Recreate' : 'RollingUpdate'
  const fenceposts =
    strategy === 'RollingUpdate' ? resolveFenceposts(replicas, spec.strategy?.rollingUpdate?.maxSurge, spec.strategy?.rollingUpdate?.maxUnavailable) : {maxSurge: 0, maxUnavailable: 0}
  const deleting = Boolean(deployment.metadata.deletionTimestamp)
  const paused = spec.paused === true

  // Working copies: every ReplicaSet we may rewrite, by name.
  const sets = new Map(input.replicaSets.map((rs) => [rs.metadata.name as string, structuredClone(rs)]))
  const changed = new Set<string>()
  const actions: Action[] = []
  let createdName: string | undefined
  let foundNew = false

  let newSet = findNewReplicaSet(deployment, input.replicaSets)
  const oldSets = () => [...sets.values()].filter((rs) => rs.metadata.name !== newSet?.metadata.name).sort(byAge)
  const maxOldRevision = Math.max(0, ...oldSets().map(revisionOf))

  const scalingEvents: Action[] = []
  const scaleTo = (rs: KubeObject, count: number): void => {
    const from = rsReplicas(rs)
    const annotations = {[DESIRED_REPLICAS_ANNOTATION]: String(replicas), [MAX_REPLICAS_ANNOTATION]: String(replicas + fenceposts.maxSurge)}
    const annotationsCurrent = Object.entries(annotations).every(([key, value]) => rs.metadata.annotations?.[key] === value)
    if (from === count && annotationsCurrent) return
    // As upstream, scaling also stamps the Deployment size it was done for (scaling events compare against it).
    rs.metadata.annotations = {...rs.metadata.annotations, ...annotations}
    changed.add(rs.metadata.name as string)
    if (from === count) return
    ;(rs.spec as {replicas: number}).replicas = count
    scalingEvents.push(
      eventAction(deployment, 'Normal', 'ScalingReplicaSet', `Scaled ${count > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${count}`, 'deployment-controller', now),
    )
  }

  if (newSet) {
    newSet = sets.get(newSet.metadata.name as string) as KubeObject
    // Rolling back to an old template reuses its ReplicaSet and makes it the latest revision.
    if (revisionOf(newSet) <= maxOldRevision && !deleting) {
      newSet.metadata.annotations = {...newSet.metadata.annotations, [REVISION_ANNOTATION]: String(maxOldRevision + 1)}
      const cause = deployment.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION]
      if (cause !== undefined) newSet.metadata.annotations[CHANGE_CAUSE_ANNOTATION] = cause
      changed.add(newSet.metadata.name as string)
      foundNew = true
    }
  }

  const createNewSet = (count: number): void => {
    const rs = buildReplicaSet(deployment, count, maxOldRevision + 1, fenceposts.maxSurge)
    actions.push({type: 'create', ref: REPLICASETS, object: rs})
    if (count > 0) scalingEvents.push(eventAction(deployment, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rs.metadata.name} from 0 to ${count}`, 'deployment-controller', now))
    createdName = rs.metadata.name
    // Stands in for the created object in the status arithmetic below (no pods yet).
    newSet = {...rs, status: {replicas: 0, readyReplicas: 0, availableReplicas: 0}}
  }

  // A scaling event: spec.replicas changed since the active ReplicaSets were last sized.
  const scalingEvent = [...sets.values()].some((rs) => {
    const desired = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION]
    return rsReplicas(rs) > 0 && desired !== undefined && Number(desired) !== replicas
  })
  if (!deleting && (paused || scalingEvent)) {
    // Scale only (upstream sync/scale): no new ReplicaSet, no rollout progress in this pass.
    const active = [...sets.values()].filter((rs) => rsReplicas(rs) > 0)
    const newSaturated = newSet !== undefined && rsReplicas(newSet) === replicas && (rsStatus(newSet).availableReplicas ?? 0) === replicas
    if (active.length === 1) scaleTo(active[0], replicas)
    else if (active.length === 0) {
      const latest = newSet ?? [...sets.values()].sort(byAge).at(-1)
      if (latest) scaleTo(latest, replicas)
    } else if (newSaturated) {
      for (const rs of active) if (rs !== newSet) scaleTo(rs, 0)
    } else if (strategy === 'RollingUpdate') {
      const sizes = proportionalScale({
        replicas,
        maxSurge: fenceposts.maxSurge,
        statusReplicas: ((deployment.status ?? {}) as DeploymentStatus).replicas ?? 0,
        sets: active.map((rs) => ({
          name: rs.metadata.name as string,
          replicas: rsReplicas(rs),
          maxReplicasAnnotation: rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION] === undefined ? undefined : Number(rs.metadata.annotations[MAX_REPLICAS_ANNOTATION]),
          createdAt: createdAt(rs),
        })),
      })
      for (const rs of active) scaleTo(rs, sizes.get(rs.metadata.name as string) ?? rsReplicas(rs))
    }
  } else if (!deleting && strategy === 'Recreate') {
    const olds = oldSets()
    const oldActive = olds.filter((rs) => rsReplicas(rs) > 0)
    for (const rs of oldActive) scaleTo(rs, 0)
    const oldPodsRemain = olds.some((rs) => (rsStatus(rs).replicas ?? 0) > 0)
    if (oldActive.length === 0 && !oldPodsRemain) {
      if (newSet) scaleTo(newSet, replicas)
      else createNewSet(replicas)
    }
  } else if (!deleting) {
    const olds = oldSets()
    const oldTotal = olds.reduce((sum, rs) => sum + rsReplicas(rs), 0)
    if (!newSet) {
      createNewSet(newReplicaSetSize({replicas, maxSurge: fenceposts.maxSurge, newReplicas: 0, allReplicas: oldTotal}))
    } else {
      scaleTo(newSet, newReplicaSetSize({replicas, maxSurge: fenceposts.maxSurge, newReplicas: rsReplicas(newSet), allReplicas: oldTotal + rsReplicas(newSet)}))
    }
    // A ReplicaSet scaled down a moment ago still reports its old availability until its own
    // controller catches up; counting more available pods than spec.replicas would scale the
    // old ReplicaSets down twice for the same pods and break maxUnavailable.
    const availableOf = (rs: KubeObject): number => Math.min(rsStatus(rs).availableReplicas ?? 0, rsReplicas(rs))
    const newCounts = newSet ? {replicas: rsReplicas(newSet), availableReplicas: availableOf(newSet)} : undefined
    const targets = scaleDownOldReplicaSets({
      replicas,
      maxUnavailable: fenceposts.maxUnavailable,
      oldSets: olds.map((rs) => ({name: rs.metadata.name as string, replicas: rsReplicas(rs), availableReplicas: availableOf(rs)})),
      newSet: newCounts,
    })
    for (const rs of olds) scaleTo(rs, targets.get(rs.metadata.name as string) ?? rsReplicas(rs))
  }

  for (const name of changed) actions.push({type: 'update', ref: REPLICASETS, object: sets.get(name) as KubeObject})
  actions.push(...scalingEvents)

  const all = [...sets.values(), ...(createdName ? [newSet as KubeObject] : [])]
  const status = computeDeploymentStatus({
    deployment,
    all,
    newSet,
    replicas,
    maxUnavailable: availabilityThreshold({replicas, strategy, maxSurge: spec.strategy?.rollingUpdate?.maxSurge, maxUnavailable: spec.strategy?.rollingUpdate?.maxUnavailable}),
    now,
    paused,
    createdName,
    foundNew,
    deadlineMs: (spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000 * (input.progressDeadlineScale ?? 1),
  })

  // History: once complete, delete the oldest fully scaled-down ReplicaSets beyond the limit.
  if (!deleting && isComplete(deployment, status.status)) {
    const limit = spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT
    const cleanable = oldSets()
      .filter((rs) => rsReplicas(rs) === 0 && (rsStatus(rs).replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp)
      .sort((a, b) => revisionOf(a) - revisionOf(b) || byAge(a, b))
    for (const rs of cleanable.slice(0, Math.max(0, cleanable.length - limit))) {
      actions.push({type: 'delete', ref: REPLICASETS, namespace: rs.metadata.namespace, name: rs.metadata.name as string, uid: rs.metadata.uid})
    }
  }

  // The Deployment carries the revision of its new ReplicaSet (kubectl rollout history reads it).
  const newRevision = newSet ? String(createdName ? maxOldRevision + 1 : revisionOf(newSet)) : undefined
  if (!deleting && newRevision !== undefined && deployment.metadata.annotations?.[REVISION_ANNOTATION] !== newRevision) {
    actions.push({
      type: 'update',
      ref: DEPLOYMENTS,
      object: {...deployment, metadata: {...deployment.metadata, annotations: {...deployment.metadata.annotations, [REVISION_ANNOTATION]: newRevision}}},
    })
  }
  if (!sameJson(deployment.status ?? {}, status.status)) {
    actions.push({type: 'updateStatus', ref: DEPLOYMENTS, object: {...deployment, status: status.status}})
  }
  return {actions, status: status.status, requeueAfterMs: status.requeueAfterMs}
}
