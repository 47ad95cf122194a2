import {ExternalError, UsageError} from '../../errors.js'

/**
 * GKE client errors in both transports: gRPC GoogleErrors carry a numeric gRPC code; the REST
 * fallback raises errors with the HTTP status as code and the Google JSON error as message.
 */

const GRPC_CODES: Record<number, string> = {5: 'NOT_FOUND', 6: 'ALREADY_EXISTS', 7: 'PERMISSION_DENIED', 9: 'FAILED_PRECONDITION', 16: 'UNAUTHENTICATED'}
const HTTP_CODES: Record<number, string> = {401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS'}

interface GoogleJsonError {
  error?: {code?: number; message?: string; status?: string}
}

function parsedBody(error: unknown): GoogleJsonError | undefined {
  const message = (error as {message?: string} | undefined)?.message
  if (!message || !message.trimStart().startsWith('{')) return undefined
  try {
    return JSON.parse(message) as GoogleJsonError
  } catch {
    return undefined
  }
}

/** The canonical status name: NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED... or ''. */
export function gcpStatus(error: unknown): string {
  const body = parsedBody(error)
  if (body?.error?.status) return body.error.status
  const code = (error as {code?: unknown} | undefined)?.code
  if (typeof code === 'number') return HTTP_CODES[code] ?? GRPC_CODES[code] ?? ''
  return ''
}

export function gcpMessage(error: unknown): string {
  const body = parsedBody(error)
  if (body?.error?.message) return body.error.message
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0]
}

export function isMissingGoogleCredentials(error: unknown): boolean {
  return /could not load the default credentials/i.test(gcpMessage(error))
}

export function noGoogleCredentialsError(cause: unknown): UsageError {
  return new UsageError('no Google Cloud credentials found', {
    hint: 'run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file',
    cause,
  })
}

export function gcpFailure(action: string, error: unknown): ExternalError | UsageError {
  if (isMissingGoogleCredentials(error)) return noGoogleCredentialsError(error)
  const status = gcpStatus(error)
  return new ExternalError(`GKE ${action} failed: ${status ? `${status}: ` : ''}${gcpMessage(error)}`, {
    hint: 'check the cluster in the Google Cloud console or with gcloud, then re-run (mygate converges)',
    cause: error,
  })
}
