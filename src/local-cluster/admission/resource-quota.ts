import type {KubeObject} from '../../kube/types.js'
import {addResourceLists, compareQuantities, formatResourceList, parseResourceList, type ResourceList} from '../compute-resources/quantity.js'
import {mask, missingComputeResources, namespaceUsage, objectUsage} from '../quota/usage.js'
import {apiErrors} from '../store/api-error.js'
import type {AdmissionPlugin, AdmissionRequest} from './types.js'

const QUOTAS = {group: '', resource: 'resourcequotas'}

/**
 * The ResourceQuota admission plugin: a create that would take a namespace past any of its
 * quotas is rejected (403) with upstream's message (k8s.io/apiserver/pkg/admission/plugin/
 * resourcequota/controller.go):
 *
 *   pods "web-1" is forbidden: exceeded quota: mygate-quota, requested: requests.cpu=500m,
 *   used: requests.cpu=3800m, limited: requests.cpu=4
 *
 * and a pod whose containers do not state the cpu or memory a quota limits is rejected with
 * `failed quota: NAME: must specify requests.cpu for: app`. Quotas are checked in name order;
 * every quota's constraints first, then each quota's usage (as upstream).
 *
 * Simulation: usage is summed from the stored objects at admission time, where upstream reads
 * status.used (kept by its own increments and the quota controller). The outcome is the same,
 * without upstream's short window in which a new quota's usage is still unknown. Updates are not
 * charged (pod resources are immutable; claim resizes are not simulated).
 */
export const resourceQuotaAdmission: AdmissionPlugin = {
  name: 'ResourceQuota',
  validate(request) {
    if (request.operation !== 'CREATE' || request.subresource !== undefined || !request.type.namespaced) return
    const namespace = request.object.metadata.namespace
    if (!namespace) return
    const quotas = request.cluster
      .list(QUOTAS, {namespace})
      .filter((quota) => !quota.metadata.deletionTimestamp)
      .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))
    if (quotas.length === 0) return
    const isPod = request.type.group === '' && request.type.resource === 'pods'
    if (isPod) {
      for (const quota of quotas) {
        const missing = missingComputeResources(request.object, Object.keys(hardOf(quota)))
        if (missing) throw forbidden(request, `failed quota: ${quota.metadata.name}: ${missing}`)
      }
    }
    const now = Date.now()
    const requestedAll = objectUsage(request.type, request.object, now)
    for (const quota of quotas) {
      const hard = hardOf(quota)
      const requested = mask(requestedAll, Object.keys(hard))
      const names = Object.keys(requested)
      if (names.length === 0) continue
      const used = namespaceUsage((ref, ns) => request.cluster.list(ref, {namespace: ns}), namespace, names, now)
      const after = addResourceLists(used, requested)
      const exceeded = names.filter((name) => compareQuantities(after[name], hard[name]) > 0)
      if (exceeded.length === 0) continue
      throw forbidden(
        request,
        `exceeded quota: ${quota.metadata.name}, requested: ${formatResourceList(mask(requested, exceeded))}, used: ${formatResourceList(mask(used, exceeded))}, limited: ${formatResourceList(mask(hard, exceeded))}`,
      )
    }
  },
}

function hardOf(quota: KubeObject): ResourceList {
  return parseResourceList((quota.spec as {hard?: unknown} | undefined)?.hard)
}

function forbidden(request: AdmissionRequest, why: string) {
  return apiErrors.forbidden(request.type, String(request.object.metadata.name ?? ''), why)
}
