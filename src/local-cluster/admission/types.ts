import type {KubeObject} from '../../kube/types.js'
import type {ListOptions, ResourceRef, ResourceType} from '../store/types.js'

/**
 * The admission chain of the local control plane, modelled on kube-apiserver's: every create and
 * update goes through it, whether it comes over HTTP (kubectl, mygate) or from an in-process
 * controller (a ReplicaSet creating its pods), because in a real cluster controllers write
 * through the same API server. Mutating plugins run first and may change the object (defaults
 * from a LimitRange, the default StorageClass); validating plugins run after the object passed
 * validation and may reject it (an ApiError, usually 403 Forbidden) or add warnings (the
 * `Warning` header kubectl prints).
 */

export type AdmissionOperation = 'CREATE' | 'UPDATE'

/** Read access to the cluster's current objects (the stored, frozen instances: do not mutate). */
export interface AdmissionReader {
  get(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined
  list(ref: ResourceRef, options?: ListOptions): KubeObject[]
}

export interface AdmissionRequest {
  operation: AdmissionOperation
  type: ResourceType
  /** The object being written; mutating plugins may change it in place. */
  object: KubeObject
  /** The stored object an update replaces. */
  oldObject?: KubeObject
  /** Set for writes to a subresource (`status`); most plugins ignore those. */
  subresource?: string
  dryRun: boolean
  cluster: AdmissionReader
  /** Warnings for the client (the API server sends them as `Warning: 299 - "..."` headers). */
  warnings: string[]
}

export interface AdmissionPlugin {
  name: string
  /** Mutating phase: may change `request.object`. */
  admit?(request: AdmissionRequest): void
  /** Validating phase: throws an ApiError to deny, may push warnings. */
  validate?(request: AdmissionRequest): void
}
