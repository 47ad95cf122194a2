/** A status condition as Deployment, Pod, Job and Node carry them. */
export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastTransitionTime?: string
  lastUpdateTime?: string
  lastProbeTime?: string | null
  lastHeartbeatTime?: string
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type)
}

/**
 * Returns `conditions` with `next` set, as upstream's SetCondition helpers do: an unchanged
 * condition (same status, reason and message) is kept as it is, timestamps included, so a
 * reconcile that changes nothing writes nothing; a new reason with the same status keeps the
 * old lastTransitionTime (that is what "transition" means to kubectl).
 */
export function setCondition(conditions: readonly Condition[] | undefined, next: Condition): Condition[] {
  const list = [...(conditions ?? [])]
  const index = list.findIndex((condition) => condition.type === next.type)
  if (index === -1) return [...list, next]
  const current = list[index]
  if (current.status === next.status && current.reason === next.reason && current.message === next.message) return list
  const merged: Condition = {...next}
  if (current.status === next.status && current.lastTransitionTime !== undefined && next.lastTransitionTime !== undefined) {
    merged.lastTransitionTime = current.lastTransitionTime
  }
  list[index] = merged
  return list
}

/** Like setCondition but always takes `next`'s lastUpdateTime (progress was made just now). */
export function refreshCondition(conditions: readonly Condition[] | undefined, next: Condition): Condition[] {
  const list = (conditions ?? []).filter((condition) => condition.type !== next.type)
  const current = findCondition(conditions, next.type)
  const merged: Condition = {...next}
  if (current && current.status === next.status && current.lastTransitionTime !== undefined) merged.lastTransitionTime = current.lastTransitionTime
  return [...list, merged]
}

/** RFC 3339 with milliseconds: the simulation runs faster than whole seconds, and Go and JS both parse it. */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString()
}

export function parseTimestamp(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms
}
