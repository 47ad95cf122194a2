import {ErrorCode} from '../errors.js'

/**
 * The one `--json` shape every command prints on stdout. Documented in the README
 * ("JSON output"); changing a field is a breaking change for scripts.
 */
export const ENVELOPE_API_VERSION = 'mygate.dev/v1'

export interface SuccessEnvelope<T> {
  apiVersion: typeof ENVELOPE_API_VERSION
  ok: true
  /** The command id with spaces, e.g. "services list". */
  command: string
  result: T
  warnings: string[]
}

export interface ErrorEnvelope {
  apiVersion: typeof ENVELOPE_API_VERSION
  ok: false
  command: string
  error: {
    code: ErrorCode | 'INTERNAL'
    exitCode: number
    message: string
    hint?: string
    details?: Record<string, unknown>
  }
  warnings: string[]
}

export type Envelope<T> = SuccessEnvelope<T> | ErrorEnvelope
