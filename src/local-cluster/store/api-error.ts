import type {ResourceType} from './types.js'

/** One reason a request was invalid, as the API server reports it in `details.causes`. */
export interface StatusCause {
  reason?: string
  message?: string
  field?: string
}

/** The `Status` object a Kubernetes API server returns for every failed request. */
export interface ApiStatus {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure'
  message: string
  reason: string
  details?: {name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number}
  code: number
}

/**
 * An error thrown by the store or the API server that carries the exact Status body the server
 * writes back: callers (controllers, the HTTP layer) never have to guess the code or reason.
 */
export class ApiError extends Error {
  readonly status: ApiStatus

  constructor(code: number, reason: string, message: string, details?: ApiStatus['details']) {
    super(message)
    this.name = 'ApiError'
    this.status = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(details ? {details} : {})}
  }

  get code(): number {
    return this.status.code
  }

  get reason(): string {
    return this.status.reason
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError
}

/** `deployments.apps` / `pods`: how the server names a resource in its messages. */
export function qualifiedResource(type: Pick<ResourceType, 'group' | 'resource'>): string {
  return type.group === '' ? type.resource : `${type.resource}.${type.group}`
}

/** `Deployment.apps` / `Pod`: how the server names a kind in Invalid messages. */
function qualifiedKind(type: Pick<ResourceType, 'group' | 'kind'>): string {
  return type.group === '' ? type.kind : `${type.kind}.${type.group}`
}

type TypeLike = Pick<ResourceType, 'group' | 'resource' | 'kind'>

export const apiErrors = {
  notFound(type: Pick<ResourceType, 'group' | 'resource'>, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualifiedResource(type)} "${name}" not found`, {name, group: type.group, kind: type.resource})
  },
  alreadyExists(type: Pick<ResourceType, 'group' | 'resource'>, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualifiedResource(type)} "${name}" already exists`, {
      name,
      group: type.group,
      kind: type.resource,
    })
  },
  conflict(type: Pick<ResourceType, 'group' | 'resource'>, name: string, why: string, causes?: StatusCause[]): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": ${why}`, {
      name,
      group: type.group,
      kind: type.resource,
      ...(causes ? {causes} : {}),
    })
  },
  staleResourceVersion(type: Pick<ResourceType, 'group' | 'resource'>, name: string): ApiError {
    return apiErrors.conflict(type, name, 'the object has been modified; please apply your changes to the latest version and try again')
  },
  /** 422: one entry per bad field, in the server's "field: Invalid value: ..." wording. */
  invalid(type: TypeLike, name: string, causes: StatusCause[]): ApiError {
    const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : String(c.message))).join(', ')
    const text = causes.length > 1 ? `[${summary}]` : summary
    return new ApiError(422, 'Invalid', `${qualifiedKind(type)} "${name}" is invalid: ${text}`, {
      name,
      group: type.group,
      kind: type.kind,
      causes,
    })
  },
  badRequest(message: string, causes?: StatusCause[]): ApiError {
    return new ApiError(400, 'BadRequest', message, causes ? {causes} : undefined)
  },
  forbidden(type: Pick<ResourceType, 'group' | 'resource'>, name: string, why: string): ApiError {
    return new ApiError(403, 'Forbidden', `${qualifiedResource(type)} "${name}" is forbidden: ${why}`, {
      name,
      group: type.group,
      kind: type.resource,
    })
  },
  gone(message: string): ApiError {
    return new ApiError(410, 'Expired', message)
  },
  methodNotAllowed(message = 'the server does not allow this method on the requested resource'): ApiError {
    return new ApiError(405, 'MethodNotAllowed', message)
  },
  unsupportedMediaType(
    contentType: string,
    accepted = 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json',
  ): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted} (got "${contentType}")`)
  },
  tooLarge(message = 'the request is too large'): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', message)
  },
  pathNotFound(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {})
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {causes: [{message}]})
  },
  serviceUnavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message)
  },
  tooManyRequests(message = 'too many requests, please try again later'): ApiError {
    return new ApiError(429, 'TooManyRequests', message, {retryAfterSeconds: 1})
  },
}
