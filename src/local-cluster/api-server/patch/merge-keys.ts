/**
 * Strategic merge patch metadata for the built-in kinds: which lists merge by a key and which
 * primitive lists merge as sets. The real server reads these from the Go types' `patchMergeKey`
 * tags; these are the same keys, by field name (the field names do not collide across kinds,
 * except `ports`, which depends on what the items hold).
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  hostAliases: 'ip',
  ownerReferences: 'uid',
  secrets: 'name',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  readinessGates: 'conditionType',
  taints: 'key',
}

/** Primitive lists whose patches merge as sets (`patchStrategy: merge` on []string). */
const SET_LISTS = new Set(['finalizers'])

/** The merge key for list `field` ("" when the list is atomic and a patch replaces it). */
export function mergeKeyFor(field: string, original: unknown[] | undefined, patch: unknown[]): string {
  if (field === 'ports') {
    const items = [...(original ?? []), ...patch] as Array<Record<string, unknown> | null>
    // Container ports merge by containerPort, Service ports by port.
    return items.some((item) => item && typeof item === 'object' && 'containerPort' in item) ? 'containerPort' : 'port'
  }
  return MERGE_KEYS[field] ?? ''
}

export function isSetList(field: string): boolean {
  return SET_LISTS.has(field)
}
