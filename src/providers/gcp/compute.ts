import {formatDuration} from '../../duration.js'
import {ExternalError, TimeoutError} from '../../errors.js'

/**
 * The few Compute Engine v1 REST calls the GCP provider needs (networks and subnetworks), sent
 * through the OAuth client the GKE client already holds. Plain REST rather than
 * @google-cloud/compute: its current major needs Node >= 22, and a whole generated client for
 * four calls would cost import time on every gcp command.
 */

/** One authenticated HTTP exchange; non-2xx answers are returned, not thrown. */
export type AuthorizedRequest = (options: {url: string; method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; data?: unknown}) => Promise<{status: number; data: unknown}>

interface ComputeOperation {
  name?: string
  status?: string
  region?: string
  error?: {errors?: Array<{code?: string; message?: string}>}
}

interface GoogleErrorBody {
  error?: {code?: number; message?: string; errors?: Array<{reason?: string}>}
}

export interface ComputeClient {
  /** The resource, or undefined when it does not exist (404). */
  get<T>(path: string, action: string): Promise<T | undefined>
  /** POST, then wait for the operation. False when it already existed (409). */
  insert(path: string, body: unknown, action: string): Promise<boolean>
  /** DELETE, then wait for the operation. False when it was already gone (404). */
  remove(path: string, action: string): Promise<boolean>
  /** PATCH (only the fields sent change), then wait for the operation. */
  patch(path: string, body: unknown, action: string): Promise<void>
}

export interface ComputeClientOptions {
  request: AuthorizedRequest
  /** Base URL of the v1 API, e.g. https://compute.googleapis.com/compute/v1. */
  endpoint: string
  project: string
  pollIntervalMs: number
  timeoutMs: number
}

export const DEFAULT_COMPUTE_ENDPOINT = 'https://compute.googleapis.com/compute/v1'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function computeFailure(action: string, status: number, body: unknown): ExternalError {
  const error = (body as GoogleErrorBody | undefined)?.error
  const reason = error?.errors?.[0]?.reason
  const denied = status === 401 || status === 403
  return new ExternalError(`GCP Compute ${action} failed: HTTP ${status}${reason ? ` ${reason}` : ''}: ${error?.message ?? 'no message'}`, {
    hint: denied
      ? 'enable the Compute Engine API (gcloud services enable compute.googleapis.com) and grant the caller roles/compute.networkAdmin'
      : 'check the network in the Google Cloud console or with gcloud, then re-run (mygate converges)',
    details: {status, reason},
  })
}

export function createComputeClient(options: ComputeClientOptions): ComputeClient {
  const base = `${options.endpoint.replace(/\/$/, '')}/projects/${options.project}`

  async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, action: string, data?: unknown) {
    try {
      return await options.request({url: `${base}/${path}`, method, ...(data === undefined ? {} : {data})})
    } catch (error) {
      throw new ExternalError(`GCP Compute ${action} failed: ${error instanceof Error ? error.message : String(error)}`, {
        hint: 'check the network connection and credentials, then re-run',
        cause: error,
      })
    }
  }

  /** Polls a zonal-less (global or regional) operation until DONE; an operation error is an ExternalError. */
  async function wait(operation: ComputeOperation, action: string): Promise<void> {
    const scope = operation.region ? `regions/${operation.region.split('/').pop()}` : 'global'
    const deadline = Date.now() + options.timeoutMs
    let current = operation
    while (current.status !== 'DONE') {
      if (Date.now() + options.pollIntervalMs > deadline) {
        throw new TimeoutError(`timed out after ${formatDuration(options.timeoutMs)} waiting for GCP Compute to finish ${action} (operation ${operation.name})`, {
          hint: 're-run the same command to keep waiting (mygate picks up where it stopped)',
        })
      }
      await sleep(options.pollIntervalMs)
      const answer = await call('GET', `${scope}/operations/${operation.name}`, `reading operation ${operation.name}`)
      if (answer.status !== 200) throw computeFailure(`reading operation ${operation.name}`, answer.status, answer.data)
      current = answer.data as ComputeOperation
    }
    const errors = current.error?.errors ?? []
    if (errors.length > 0) {
      throw new ExternalError(`GCP Compute failed ${action}: ${errors.map((error) => `${error.code ?? 'ERROR'}: ${error.message ?? ''}`).join('; ')}`, {
        hint: `see operation ${current.name} in the Google Cloud console; fix the cause and re-run`,
        details: {operation: current.name},
      })
    }
  }

  return {
    async get<T>(path: string, action: string) {
      const answer = await call('GET', path, action)
      if (answer.status === 404) return undefined
      if (answer.status !== 200) throw computeFailure(action, answer.status, answer.data)
      return answer.data as T
    },
    async insert(path, body, action) {
      const answer = await call('POST', path, action, body)
      if (answer.status === 409) return false
      if (answer.status !== 200) throw computeFailure(action, answer.status, answer.data)
      await wait(answer.data as ComputeOperation, action)
      return true
    },
    async remove(path, action) {
      const answer = await call('DELETE', path, action)
      if (answer.status === 404) return false
      if (answer.status !== 200) throw computeFailure(action, answer.status, answer.data)
      await wait(answer.data as ComputeOperation, action)
      return true
    },
    async patch(path, body, action) {
      const answer = await call('PATCH', path, action, body)
      if (answer.status !== 200) throw computeFailure(action, answer.status, answer.data)
      await wait(answer.data as ComputeOperation, action)
    },
  }
}
