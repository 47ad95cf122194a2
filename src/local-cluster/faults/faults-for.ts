import type {KubeObject} from '../../kube/types.js'
import {type FaultSpec, SERVICE_LABEL, VERSION_LABEL} from './types.js'

/** The combined effect of every fault that matches one service version. */
export interface FaultEffects {
  /** 0..1; several faults combine as independent failures: 1 - (1-a)(1-b). */
  errorRate: number
  /** Summed. */
  latencyMs: number
  crash: boolean
  notReady: boolean
  /** The largest replication lag injected (ms); 0 without one. */
  replicationLagMs: number
}

export const NO_FAULTS: FaultEffects = {errorRate: 0, latencyMs: 0, crash: false, notReady: false, replicationLagMs: 0}

const clamp01 = (value: number): number => (Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0)

/**
 * Faults for `service` at `version`: a fault without a version hits every version. A pod with
 * no version label is hit only by version-less faults.
 */
export function faultsFor(service: string | undefined, version: string | undefined, faults: readonly FaultSpec[]): FaultEffects {
  if (!service) return NO_FAULTS
  let healthy = 1
  const effects: FaultEffects = {...NO_FAULTS}
  for (const fault of faults) {
    if (fault.service !== service) continue
    // Flag faults hit only the requests that get the flag's on-variant (flagFaultErrorRate).
    if (fault.flag !== undefined) continue
    if (fault.version !== undefined && fault.version !== version) continue
    healthy *= 1 - clamp01(fault.errorRate ?? 0)
    effects.latencyMs += Math.max(0, Number(fault.latencyMs) || 0)
    effects.crash ||= fault.crash === true
    effects.notReady ||= fault.notReady === true
    effects.replicationLagMs = Math.max(effects.replicationLagMs, Math.max(0, Number(fault.replicationLagMs) || 0))
  }
  effects.errorRate = 1 - healthy
  return effects
}

/** The error rate flag faults add to `service`'s requests that get `flag`'s on-variant (combined as above). */
export function flagFaultErrorRate(service: string, version: string | undefined, flag: string, faults: readonly FaultSpec[]): number {
  let healthy = 1
  for (const fault of faults) {
    if (fault.flag !== flag || fault.service !== service) continue
    if (fault.version !== undefined && fault.version !== version) continue
    healthy *= 1 - clamp01(fault.errorRate ?? 0)
  }
  return 1 - healthy
}

/** Reads the fault specs out of Fault objects (ignoring ones being deleted or malformed). */
export function faultSpecs(objects: readonly KubeObject[]): FaultSpec[] {
  return objects
    .filter((object) => !object.metadata.deletionTimestamp)
    .map((object) => object.spec as FaultSpec | undefined)
    .filter((spec): spec is FaultSpec => typeof spec?.service === 'string')
}

/** The service and version a pod serves, from its labels. */
export function podIdentity(pod: KubeObject): {service?: string; version?: string} {
  return {service: pod.metadata.labels?.[SERVICE_LABEL], version: pod.metadata.labels?.[VERSION_LABEL]}
}
