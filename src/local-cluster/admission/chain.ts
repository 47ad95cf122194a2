import {defaultStorageClassAdmission} from './default-storage-class.js'
import {limitRangerAdmission} from './limit-ranger.js'
import {podSecurityAdmission} from './pod-security/plugin.js'
import {resourceQuotaAdmission} from './resource-quota.js'
import {serviceAccountAdmission} from './service-account.js'
import type {AdmissionPlugin, AdmissionRequest} from './types.js'

/**
 * The plugins every local cluster runs, in kube-apiserver's order (its recommended
 * --enable-admission-plugins set, of which these are the ones mygate's manifests can trip):
 * mutating ServiceAccount, LimitRanger and DefaultStorageClass, then validating ServiceAccount,
 * LimitRanger, PodSecurity and, last, ResourceQuota (so quota is charged only for objects
 * everything else accepted).
 */
export function defaultAdmissionPlugins(): AdmissionPlugin[] {
  return [serviceAccountAdmission, limitRangerAdmission, defaultStorageClassAdmission, podSecurityAdmission, resourceQuotaAdmission]
}

/** Runs the mutating phase: each plugin's `admit`, in order. */
export function admit(plugins: readonly AdmissionPlugin[], request: AdmissionRequest): void {
  for (const plugin of plugins) plugin.admit?.(request)
}

/** Runs the validating phase: each plugin's `validate`, in order; the first rejection wins. */
export function validate(plugins: readonly AdmissionPlugin[], request: AdmissionRequest): void {
  for (const plugin of plugins) plugin.validate?.(request)
}
