import {createHash} from 'node:crypto'

import {NAMESPACES} from '../../config/types.js'
import {RECORD_NAME} from '../../env/record.js'
import type {KubeApi} from '../../kube/api.js'
import type {KubeObject} from '../../kube/types.js'

/**
 * An alert of `failover watch`: a region is lost and a person must act (a forced reconfiguration
 * is needed, or the watch could not act). Besides the line on stderr it is a Kubernetes Event
 * (type Warning) in the surviving region's mygate-system, about the environment record, so
 * `kubectl get events -n mygate-system` and whatever forwards Warning events (an alert manager,
 * a chat hook) show it where the environment still answers.
 */

export const ALERT_REASON = 'RegionLost'
export const WATCH_COMPONENT = 'mygate-failover-watch'

export interface WatchAlert {
  environment: string
  lost: string
  why: string
  /** The exact command a person should run, when there is one. */
  command?: string
}

/** The one line on stderr. */
export function alertLine(alert: WatchAlert): string {
  return `ALERT ${alert.environment}: ${alert.why}${alert.command ? `; run: ${alert.command}` : ''}`
}

/** The Event (pure): named from the record and the message, so the same alert at the same instant is one object. */
export function alertEvent(alert: WatchAlert, at: Date): KubeObject {
  const message = `${alert.why}${alert.command ? `. Run: ${alert.command}` : ''}`
  const stamp = at.toISOString().replace(/\.\d+Z$/, 'Z')
  const suffix = createHash('sha256').update(`${alert.lost}/${message}/${stamp}`).digest('hex').slice(0, 10)
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {name: `${RECORD_NAME}.${suffix}`, namespace: NAMESPACES.system, labels: {'mygate.dev/environment': alert.environment, 'mygate.dev/lost-region': alert.lost}},
    involvedObject: {apiVersion: 'v1', kind: 'ConfigMap', name: RECORD_NAME, namespace: NAMESPACES.system},
    reason: ALERT_REASON,
    message,
    type: 'Warning',
    count: 1,
    firstTimestamp: stamp,
    lastTimestamp: stamp,
    source: {component: WATCH_COMPONENT},
    reportingComponent: WATCH_COMPONENT,
    reportingInstance: WATCH_COMPONENT,
  }
}

/** Writes the Event; an Event that cannot be written is reported by the caller, never fatal. */
export async function recordAlertEvent(client: KubeApi, alert: WatchAlert, at: Date): Promise<string> {
  const event = alertEvent(alert, at)
  await client.create(event)
  return `${NAMESPACES.system}/${event.metadata.name}`
}
