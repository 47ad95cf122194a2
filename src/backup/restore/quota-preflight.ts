import {NAMESPACES} from '../../config/types.js'
import {formatMemory, memoryBytes} from '../../catalog/quantity.js'
import {ConflictError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'

/**
 * A restored set needs room beside the live one: a pod and a PersistentVolumeClaim per member.
 * A namespace's ResourceQuota refuses the claim past its `hard` count (the admission rule:
 * https://kubernetes.io/docs/concepts/policy/resource-quotas/#object-count-quota), and a
 * StatefulSet whose claim is refused waits forever with no pod, so the restore would only time
 * out. Checked before anything is created, from the quota's own status: the one line says what
 * is short and what frees it. A set across two regions is checked in each region's cluster for the
 * members it puts there (a quota counts its own cluster's objects only).
 *
 * Example: hard {persistentvolumeclaims: '10'}, used {persistentvolumeclaims: '10'}, 1 member ->
 * 'mygate-data has room for 0 more PersistentVolumeClaims (quota mygate-quota: 10 of 10 used); the restored set needs 1'
 */
export interface QuotaStatus {
  name: string
  hard: Record<string, string>
  used: Record<string, string>
}

const COUNTED: Array<[resource: string, what: string]> = [
  ['persistentvolumeclaims', 'PersistentVolumeClaims'],
  ['count/persistentvolumeclaims', 'PersistentVolumeClaims'],
  ['pods', 'pods'],
  ['count/pods', 'pods'],
]

export function quotaShortfall(quotas: QuotaStatus[], members: number, namespace = NAMESPACES.data, region?: string, storagePerMember?: string): string | undefined {
  const where = region ? `${namespace} in ${region}` : namespace
  for (const quota of quotas) {
    for (const [resource, what] of COUNTED) {
      if (quota.hard[resource] === undefined) continue
      const hard = Number(quota.hard[resource])
      const used = Number(quota.used[resource] ?? 0)
      if (!Number.isFinite(hard) || !Number.isFinite(used)) continue
      if (hard - used < members) return `${where} has room for ${Math.max(0, hard - used)} more ${what} (quota ${quota.name}: ${used} of ${hard} used); the restored set needs ${members}${region ? ` there` : ''}`
    }
    // Every member's claim requests the database's storage (requests.storage sums claims' requests).
    const hardStorage = quota.hard['requests.storage']
    if (storagePerMember === undefined || hardStorage === undefined) continue
    const need = members * memoryBytes(storagePerMember)
    const room = memoryBytes(hardStorage) - memoryBytes(quota.used['requests.storage'] ?? '0Gi')
    if (Number.isFinite(need) && Number.isFinite(room) && room < need) {
      return `${where} has room for ${formatMemory(Math.max(0, room))} more storage (quota ${quota.name}: ${quota.used['requests.storage']} of ${hardStorage} requested); the restored set needs ${formatMemory(need)}${region ? ` there` : ''}`
    }
  }
  return undefined
}

export async function checkRoomForSet(client: KubeApi, members: number, namespace = NAMESPACES.data, region?: string, storagePerMember?: string): Promise<void> {
  const list = await client.list('v1', 'ResourceQuota', {namespace})
  const quotas = list.items.map((q) => {
    const status = (q.status ?? {}) as {hard?: Record<string, string>; used?: Record<string, string>}
    return {name: String(q.metadata.name), hard: status.hard ?? {}, used: status.used ?? {}}
  })
  const short = quotaShortfall(quotas, members, namespace, region, storagePerMember)
  if (short) {
    throw new ConflictError(short, {hint: 'remove a restored set that is no longer needed (`mygate backup restore --env ENV --service S --abandon`), or raise the quota'})
  }
}
