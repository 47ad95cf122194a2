import type {KubeObject} from '../../kube/types.js'
import {apiErrors} from '../store/api-error.js'
import {isPlainObject} from '../store/object-utils.js'
import {formatLabelSelectorObject, type LabelSelectorObject} from '../store/selectors.js'
import type {ResourceType} from '../store/types.js'

function readPath(object: unknown, path: string): unknown {
  let current = object
  for (const key of path.replace(/^\./, '').split('.')) current = isPlainObject(current) ? current[key] : undefined
  return current
}

function writePath(object: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.replace(/^\./, '').split('.')
  let current = object
  for (const key of keys.slice(0, -1)) current = (isPlainObject(current[key]) ? current[key] : (current[key] = {})) as Record<string, unknown>
  current[keys.at(-1)!] = value
}

function paths(type: ResourceType): {spec: string; status: string; selector?: string} {
  return {
    spec: type.scalePaths?.specReplicasPath ?? '.spec.replicas',
    status: type.scalePaths?.statusReplicasPath ?? '.status.replicas',
    selector: type.scalePaths?.labelSelectorPath,
  }
}

/** The autoscaling/v1 Scale view of a Deployment, ReplicaSet, StatefulSet (or a CR with scale). */
export function toScale(type: ResourceType, object: KubeObject): KubeObject {
  const p = paths(type)
  const selector = p.selector ? readPath(object, p.selector) : formatLabelSelectorObject(readPath(object, '.spec.selector') as LabelSelectorObject)
  const {name, namespace, uid, resourceVersion, creationTimestamp} = object.metadata
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {name, namespace, uid, resourceVersion, creationTimestamp},
    spec: {replicas: Number(readPath(object, p.spec) ?? 1)},
    status: {replicas: Number(readPath(object, p.status) ?? 0), ...(selector ? {selector} : {})},
  }
}

/** The object with the Scale's spec.replicas written in (resourceVersion carried for concurrency). */
export function applyScale(type: ResourceType, object: KubeObject, scale: unknown): KubeObject {
  if (!isPlainObject(scale) || !isPlainObject(scale.spec)) throw apiErrors.badRequest('the body must be an autoscaling/v1 Scale')
  const replicas = scale.spec.replicas
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw apiErrors.invalid({group: 'autoscaling', kind: 'Scale', resource: 'scale'}, String(object.metadata.name), [
      {reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, field: 'spec.replicas'},
    ])
  }
  const next = structuredClone(object) as KubeObject
  writePath(next as Record<string, unknown>, paths(type).spec, replicas)
  const rv = isPlainObject(scale.metadata) ? scale.metadata.resourceVersion : undefined
  next.metadata.resourceVersion = typeof rv === 'string' && rv !== '' ? rv : object.metadata.resourceVersion
  return next
}
