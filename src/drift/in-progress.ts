import {LABEL_NAME} from '../render/labels.js'
import {APP_NAMESPACE, canaryDeploymentName, colorDeploymentName, LABEL_ROLLOUT_SERVICE, previewServiceName, stateConfigMapName} from '../rollout/names.js'
import {IN_PROGRESS_PHASES} from '../rollout/state.js'
import {fromConfigMap} from '../strategies/rollout-store.js'
import type {KubeObject} from '../kube/types.js'

/**
 * Objects an operation in progress owns are not drift for its duration (a paused canary's
 * `SERVICE-canary` Deployment and VirtualService weights, blue-green colours, the stable
 * Deployment a rolling update is changing). Pure: from the rollout records in mygate-system
 * (src/strategies/rollout-store.ts), the services with a rollout that has not finished, and
 * whether an object belongs to one of them (its `app.kubernetes.io/name` label, or the names the
 * strategies give their objects, src/rollout/names.ts).
 */

export interface OperationInProgress {
  service: string
  /** "canary rollout visitors-2026… (Paused)" */
  description: string
}

const ACTIVE = new Set<string>([...IN_PROGRESS_PHASES, 'RollingBack'])

export function rolloutsInProgress(systemConfigMaps: readonly KubeObject[]): Map<string, OperationInProgress> {
  const out = new Map<string, OperationInProgress>()
  for (const configMap of systemConfigMaps) {
    const service = configMap.metadata.labels?.[LABEL_ROLLOUT_SERVICE]
    if (!service || configMap.metadata.name !== stateConfigMapName(service)) continue
    let phase: string
    let description: string
    try {
      const {state} = fromConfigMap(configMap, service)
      phase = state.phase
      description = `${state.strategy} rollout ${state.id} (${state.phase})`
    } catch {
      // A record mygate cannot read may belong to a newer mygate mid-rollout: strictest reading.
      phase = 'Progressing'
      description = `a rollout whose record cannot be read`
    }
    if (ACTIVE.has(phase)) out.set(service, {service, description})
  }
  return out
}

/** The service whose operation in progress owns the object, if any. */
export function ownedByOperation(object: {metadata: {name?: string; namespace?: string; labels?: Record<string, string>}}, busy: ReadonlyMap<string, OperationInProgress>): OperationInProgress | undefined {
  if (busy.size === 0) return undefined
  const byLabel = object.metadata.labels?.[LABEL_NAME]
  if (byLabel && busy.has(byLabel)) return busy.get(byLabel)
  if (object.metadata.namespace !== APP_NAMESPACE) return undefined
  for (const operation of busy.values()) {
    const s = operation.service
    const names = [s, canaryDeploymentName(s), colorDeploymentName(s, 'blue'), colorDeploymentName(s, 'green'), previewServiceName(s)]
    if (names.includes(String(object.metadata.name))) return operation
  }
  return undefined
}
