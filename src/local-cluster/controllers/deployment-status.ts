import type {KubeObject} from '../../kube/types.js'
import {type Condition, findCondition, parseTimestamp, refreshCondition, setCondition, timestamp} from './conditions.js'

/**
 * The status a Deployment reports, computed the way upstream's syncRolloutStatus does, so
 * `kubectl rollout status` and `kubectl wait --for=condition=Available` read it as on a real
 * cluster: counts summed over the ReplicaSets, Available against replicas - maxUnavailable, and
 * the Progressing condition (NewReplicaSetCreated / FoundNewReplicaSet / ReplicaSetUpdated /
 * NewReplicaSetAvailable / ProgressDeadlineExceeded / DeploymentPaused / DeploymentResumed).
 */

export interface DeploymentStatus {
  observedGeneration?: number
  replicas?: number
  updatedReplicas?: number
  readyReplicas?: number
  availableReplicas?: number
  unavailableReplicas?: number
  collisionCount?: number
  conditions?: Condition[]
}

interface ReplicaSetStatus {
  replicas?: number
  readyReplicas?: number
  availableReplicas?: number
  conditions?: Condition[]
}

const rsStatus = (rs: KubeObject): ReplicaSetStatus => (rs.status ?? {}) as ReplicaSetStatus

/** kubectl rollout status's "successfully rolled out", as the controller judges it (upstream DeploymentComplete). */
export function isComplete(deployment: KubeObject, status: DeploymentStatus): boolean {
  const replicas = ((deployment.spec ?? {}) as {replicas?: number}).replicas ?? 1
  return (
    status.updatedReplicas === replicas &&
    status.replicas === replicas &&
    status.availableReplicas === replicas &&
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0)
  )
}

export function computeDeploymentStatus(input: {
  deployment: KubeObject
  all: KubeObject[]
  newSet: KubeObject | undefined
  replicas: number
  maxUnavailable: number
  now: number
  paused: boolean
  createdName: string | undefined
  foundNew: boolean
  deadlineMs: number
}): {status: DeploymentStatus; requeueAfterMs?: number} {
  const {deployment, all, newSet, replicas, now} = input
  const old = (deployment.status ?? {}) as DeploymentStatus
  const sum = (field: 'replicas' | 'readyReplicas' | 'availableReplicas'): number => all.reduce((total, rs) => total + (rsStatus(rs)[field] ?? 0), 0)
  const status: DeploymentStatus = {
    observedGeneration: deployment.metadata.generation ?? old.observedGeneration,
    replicas: sum('replicas'),
    updatedReplicas: newSet ? (rsStatus(newSet).replicas ?? 0) : 0,
    readyReplicas: sum('readyReplicas'),
    availableReplicas: sum('availableReplicas'),
    unavailableReplicas: 0,
  }
  status.unavailableReplicas = Math.max(0, replicas - (status.availableReplicas ?? 0))
  if (old.collisionCount !== undefined) status.collisionCount = old.collisionCount
  const at = timestamp(now)

  let conditions = old.conditions ?? []
  const minimumAvailable = (status.availableReplicas ?? 0) >= replicas - input.maxUnavailable
  conditions = setCondition(conditions, {
    type: 'Available',
    status: minimumAvailable ? 'True' : 'False',
    reason: minimumAvailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
    message: minimumAvailable ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
    lastUpdateTime: at,
    lastTransitionTime: at,
  })

  const newName = newSet?.metadata.name
  const progressing = (next: Omit<Condition, 'type' | 'lastUpdateTime' | 'lastTransitionTime'>): Condition => ({type: 'Progressing', ...next, lastUpdateTime: at, lastTransitionTime: at})
  let requeueAfterMs: number | undefined
  const current = findCondition(conditions, 'Progressing')

  if (input.paused) {
    if (current?.reason !== 'DeploymentPaused') conditions = setCondition(conditions, progressing({status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused'}))
  } else if (input.createdName) {
    conditions = refreshCondition(conditions, progressing({status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${input.createdName}"`}))
  } else if (input.foundNew && newName) {
    conditions = refreshCondition(conditions, progressing({status: 'True', reason: 'FoundNewReplicaSet', message: `Found new replica set "${newName}"`}))
  } else {
    if (current?.reason === 'DeploymentPaused') {
      conditions = setCondition(conditions, progressing({status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed'}))
    }
    const cond = findCondition(conditions, 'Progressing')
    const alreadyComplete = status.replicas === status.updatedReplicas && cond?.reason === 'NewReplicaSetAvailable'
    if (!alreadyComplete) {
      const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0)
      const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0)
      const madeProgress =
        (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
        newOld < oldOld ||
        (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
        (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
      if (isComplete(deployment, status)) {
        conditions = setCondition(conditions, progressing({status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newName}" has successfully progressed.`}))
      } else if (madeProgress) {
        conditions = refreshCondition(conditions, progressing({status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newName}" is progressing.`}))
      } else if (cond && cond.reason !== 'ProgressDeadlineExceeded' && cond.reason !== 'NewReplicaSetAvailable' && cond.status !== 'Unknown') {
        const from = parseTimestamp(cond.lastUpdateTime) ?? now
        const due = from + input.deadlineMs
        if (due < now) {
          conditions = setCondition(conditions, progressing({status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${newName}" has timed out progressing.`}))
        } else {
          requeueAfterMs = due - now + 1
        }
      }
    }
  }
  // A Progressing condition we just refreshed also needs its deadline watched.
  const finalCond = findCondition(conditions, 'Progressing')
  if (requeueAfterMs === undefined && finalCond?.status === 'True' && finalCond.reason !== 'NewReplicaSetAvailable') {
    requeueAfterMs = Math.max(1, (parseTimestamp(finalCond.lastUpdateTime) ?? now) + input.deadlineMs - now + 1)
  }
  // A ReplicaSet that cannot create pods (quota, Pod Security) shows on the Deployment as
  // ReplicaFailure, the new ReplicaSet's first (upstream getReplicaFailures).
  const failing = [newSet, ...all.filter((rs) => rs !== newSet)].map((rs) => rs && findCondition(rsStatus(rs).conditions, 'ReplicaFailure')).find((c) => c?.status === 'True')
  conditions = failing
    ? setCondition(conditions, {type: 'ReplicaFailure', status: 'True', reason: failing.reason, message: failing.message, lastUpdateTime: at, lastTransitionTime: at})
    : conditions.filter((c) => c.type !== 'ReplicaFailure')
  status.conditions = conditions
  return {status, requeueAfterMs}
}
