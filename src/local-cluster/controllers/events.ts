import type {KubeObject} from '../../kube/types.js'
import type {Action} from './actions.js'
import {timestamp} from './conditions.js'
import {EVENTS} from './resources.js'
import {fnv1a32} from './template-hash.js'

export type EventType = 'Normal' | 'Warning'

/**
 * A core/v1 Event about `object`, as an action (controllers decide, the runner writes). The name
 * is derived from the object, reason and message, so the same happening is recorded once: a
 * repeat is an AlreadyExists that applyActions skips. `kubectl describe` and `kubectl get events`
 * show these.
 */
export function eventAction(object: KubeObject, type: EventType, reason: string, message: string, component: string, now: number): Action {
  const name = `${object.metadata.name}.${fnv1a32(`${object.metadata.uid}/${reason}/${message}`).toString(16).padStart(8, '0')}`
  const at = timestamp(now)
  return {
    type: 'create',
    ref: EVENTS,
    object: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {name, namespace: object.metadata.namespace ?? 'default'},
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
        ...(object.metadata.resourceVersion ? {resourceVersion: object.metadata.resourceVersion} : {}),
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: {component},
      reportingComponent: component,
      reportingInstance: component,
    },
  }
}

/** Events older than this are deleted, as the API server's event TTL does (default 1 h). */
export const EVENT_TTL_MS = 60 * 60_000

/** The events to delete: last seen more than EVENT_TTL_MS ago. */
export function expiredEvents(events: readonly KubeObject[], now: number): KubeObject[] {
  return events.filter((event) => {
    const last = Date.parse(String(event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp ?? ''))
    return !Number.isNaN(last) && now - last > EVENT_TTL_MS
  })
}
