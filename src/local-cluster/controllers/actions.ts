import type {KubeObject} from '../../kube/types.js'
import type {ObjectStore, PropagationPolicy, ResourceRef} from '../store/types.js'
import {eventAction} from './events.js'
import {apiErrorCode} from './runtime.js'

/**
 * How a controller reports creating a dependent, as upstream controllers do: a Normal event when
 * the create succeeds (SuccessfulCreate), a Warning FailedCreate event carrying the API's error
 * when it is rejected (admission: Pod Security, quota, LimitRange; validation).
 */
export interface CreateReport {
  /** The controller's object the events are about (ReplicaSet, StatefulSet, Job). */
  owner: KubeObject
  component: string
  now: number
  success: {reason: string; message: string}
  /** The FailedCreate message is this prefix followed by the API's error message. */
  failurePrefix: string
}

/**
 * What a pure reconcile decides; the runner applies it to the store. Keeping decisions as data
 * lets the arithmetic be tested without a store.
 */
export type Action =
  | {type: 'create'; ref: ResourceRef; object: KubeObject; report?: CreateReport}
  /** Write the whole object (spec/metadata); `object.metadata.resourceVersion` guards it. */
  | {type: 'update'; ref: ResourceRef; object: KubeObject}
  /** Write only `.status` through the status subresource. */
  | {type: 'updateStatus'; ref: ResourceRef; object: KubeObject}
  | {type: 'delete'; ref: ResourceRef; namespace?: string; name: string; uid?: string; propagationPolicy?: PropagationPolicy}

/** What applyActions ran into that the controller has to act on. */
export interface ApplyOutcome {
  /** The first reported create the API rejected, with the API's message. */
  rejected?: {action: Extract<Action, {type: 'create'}>; message: string}
}

/**
 * Applies actions in order. A create that already exists, a delete of something gone and a
 * delete whose uid no longer matches are the expected races and are skipped; anything else
 * (including 409 on update) throws so the runner re-reads and retries.
 *
 * A create with a report that the API rejects is recorded (FailedCreate event) and returned in
 * the outcome instead of thrown; the owner's further creates in the batch are skipped, as
 * upstream controllers stop a batch at its first failure, and the remaining actions (status,
 * deletes) still run, so the controller can show the failure in its status.
 */
export function applyActions(store: ObjectStore, actions: readonly Action[]): ApplyOutcome {
  const outcome: ApplyOutcome = {}
  const stoppedOwners = new Set<string | undefined>()
  // A second write to the same object in one batch (metadata, then status) must carry the
  // resourceVersion the first write produced, or it would conflict with ourselves.
  const written = new Map<string, string | undefined>()
  const idOf = (ref: ResourceRef, object: KubeObject): string => `${ref.group}/${ref.resource}/${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`
  const withVersion = (ref: ResourceRef, object: KubeObject): KubeObject => {
    const id = idOf(ref, object)
    if (!written.has(id)) return object
    return {...object, metadata: {...object.metadata, resourceVersion: written.get(id)}}
  }
  for (const action of actions) {
    if (action.type === 'create' && action.report && stoppedOwners.has(action.report.owner.metadata.uid)) continue
    try {
      switch (action.type) {
        case 'create': {
          const result = store.create(action.ref, action.object)
          if (!action.object.metadata.generateName) written.set(idOf(action.ref, action.object), result.metadata.resourceVersion)
          if (action.report) recordEvent(store, eventAction(action.report.owner, 'Normal', action.report.success.reason, action.report.success.message, action.report.component, action.report.now))
          break
        }
        case 'update': {
          const result = store.update(action.ref, withVersion(action.ref, action.object))
          written.set(idOf(action.ref, action.object), result.metadata.resourceVersion)
          break
        }
        case 'updateStatus': {
          const result = store.update(action.ref, withVersion(action.ref, action.object), {subresource: 'status'})
          written.set(idOf(action.ref, action.object), result.metadata.resourceVersion)
          break
        }
        case 'delete':
          store.delete(action.ref, action.namespace, action.name, {
            propagationPolicy: action.propagationPolicy,
            preconditions: action.uid ? {uid: action.uid} : undefined,
          })
          break
      }
    } catch (error) {
      const code = apiErrorCode(error)
      if (action.type === 'delete' && (code === 404 || code === 409)) continue
      if (action.type === 'create' && code === 409 && !action.object.metadata.generateName) continue
      if (action.type === 'create' && action.report && code !== undefined) {
        const {report} = action
        const message = (error as Error).message
        recordEvent(store, eventAction(report.owner, 'Warning', 'FailedCreate', `${report.failurePrefix}${message}`, report.component, report.now))
        stoppedOwners.add(report.owner.metadata.uid)
        outcome.rejected ??= {action, message}
        continue
      }
      throw error
    }
  }
  return outcome
}

/**
 * Writes an event, best effort as upstream's event recorder: a repeat (same name) is already
 * recorded, and an event the API refuses (a namespace being terminated) is dropped rather than
 * failing the controller's pass.
 */
function recordEvent(store: ObjectStore, event: Action): void {
  if (event.type !== 'create') return
  try {
    store.create(event.ref, event.object)
  } catch (error) {
    if (apiErrorCode(error) === undefined) throw error
  }
}

/** Deep equality of plain JSON data, to skip writes that would change nothing. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))
}

/** Plain data with object keys sorted, so JSON text is a stable identity (hashing, comparing). */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key]
      if (item !== undefined) out[key] = canonical(item)
    }
    return out
  }
  return value
}
