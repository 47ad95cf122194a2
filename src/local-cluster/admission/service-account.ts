import {apiErrors} from '../store/api-error.js'
import type {AdmissionPlugin} from './types.js'

const SERVICE_ACCOUNTS = {group: '', resource: 'serviceaccounts'}

/**
 * The ServiceAccount admission plugin: a pod runs as its namespace's `default` ServiceAccount
 * unless it names one, and a ServiceAccount it names must exist (upstream
 * plugin/pkg/admission/serviceaccount):
 *
 *   pods "billing-7d9f-x" is forbidden: error looking up service account mygate/billing: serviceaccount "billing" not found
 *
 * Simulation: the `default` account is not checked (the serviceaccount controller creates it
 * right after its namespace; upstream rejects a pod that arrives before it), and the API token
 * volume upstream mounts is not added (nothing in a simulated container reads it).
 */
export const serviceAccountAdmission: AdmissionPlugin = {
  name: 'ServiceAccount',
  admit(request) {
    if (request.operation !== 'CREATE' || request.subresource !== undefined || request.type.group !== '' || request.type.resource !== 'pods') return
    const spec = (request.object.spec ??= {}) as {serviceAccountName?: string; serviceAccount?: string}
    spec.serviceAccountName ||= spec.serviceAccount || 'default'
  },
  validate(request) {
    if (request.operation !== 'CREATE' || request.subresource !== undefined || request.type.group !== '' || request.type.resource !== 'pods') return
    const name = (request.object.spec as {serviceAccountName?: string} | undefined)?.serviceAccountName
    const namespace = String(request.object.metadata.namespace)
    if (!name || name === 'default' || request.cluster.get(SERVICE_ACCOUNTS, namespace, name)) return
    throw apiErrors.forbidden(request.type, String(request.object.metadata.name ?? ''), `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`)
  },
}
