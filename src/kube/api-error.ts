import {ConflictError, ExternalError, MygateError, NotFoundError, TimeoutError, UsageError} from '../errors.js'

/** The Kubernetes Status body an API server returns with an error. */
export interface KubeStatus {
  kind?: string
  status?: string
  message?: string
  reason?: string
  code?: number
  details?: {name?: string; kind?: string; causes?: Array<{field?: string; message?: string; reason?: string}>; retryAfterSeconds?: number}
}

/** A Status body, or the start of whatever else the server sent (a proxy's HTML page). */
export function parseStatus(body: string): KubeStatus | undefined {
  try {
    return JSON.parse(body) as KubeStatus
  } catch {
    return body ? {message: body.slice(0, 200)} : undefined
  }
}

/**
 * Maps an API server error response onto mygate's closed error set, keeping the server's own
 * message (it names the object) and adding what to do next. `details.reason` keeps the Status
 * reason (AlreadyExists, Conflict, NotFound...), for callers that must tell them apart.
 */
export function errorFromStatus(httpStatus: number, status: KubeStatus | undefined, what: string): MygateError {
  const message = status?.message ?? `HTTP ${httpStatus}`
  const details = {httpStatus, reason: status?.reason, causes: status?.details?.causes}
  switch (httpStatus) {
    case 404:
      return new NotFoundError(`${what}: ${message}`, {details})
    case 409:
      return new ConflictError(`${what}: ${message}`, {details, hint: 're-run the command; another writer changed the object'})
    case 400:
    case 422:
      return new UsageError(`${what}: ${message}`, {details})
    case 401:
    case 403:
      return new ExternalError(`${what}: ${message}`, {details, hint: 'check the credentials of the kubeconfig context'})
    case 504:
      return new TimeoutError(`${what}: ${message}`, {details})
    default:
      return new ExternalError(`${what}: ${message}`, {details, hint: 'the cluster API failed; re-run when it is healthy'})
  }
}

/** Network-level failures (refused, reset, DNS) to the API server. */
export function errorFromNetwork(error: NodeJS.ErrnoException, server: string, what: string): MygateError {
  const code = error.code ?? 'ERROR'
  return new ExternalError(`${what}: cannot reach the Kubernetes API at ${server} (${code})`, {
    cause: error,
    hint:
      code === 'ECONNREFUSED' && server.includes('127.0.0.1')
        ? 'start the local control plane with `mygate local start`'
        : 'check that the cluster is up and the kubeconfig context is right',
  })
}

/** A 409 whose Status reason is AlreadyExists (a create of an object that exists). */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof ConflictError && error.details?.reason === 'AlreadyExists'
}

/** The cluster has no such group/version or kind (e.g. a CRD that is not installed). */
export class KindNotServedError extends UsageError {}
