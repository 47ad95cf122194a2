/**
 * The closed set of errors mygate raises, and the exit code each maps to.
 * Only the CLI entry (src/cli/base-command.ts) turns these into a process exit.
 */

export const ExitCode = {
  ok: 0,
  /** A bug in mygate: anything that is not a MygateError. */
  internal: 1,
  /** Bad flags, arguments, config, descriptors or templates. */
  usage: 2,
  /** A named thing (environment, service, rollout...) does not exist. */
  notFound: 3,
  /** A cluster, cloud API or external program failed. */
  external: 4,
  /** Waited for something longer than allowed. */
  timeout: 5,
  /** The target is busy or in a conflicting state (lease held, exists with other settings). */
  conflict: 6,
  /** The operation ran and did not succeed (rollout rolled back, service not ready). */
  failed: 7,
  /**
   * The work succeeded (or ended as reported) but its bookkeeping could not be written after
   * retries: the audit entry, the deployed-version record, the environment record or the lease
   * release. Never the code of a failed deploy: CI must not roll back a release that is live.
   */
  bookkeeping: 8,
  /**
   * Not an error: `mygate env diff --exit-code` found drift (as `terraform plan -detailed-exitcode`
   * reports changes), so a scheduled pipeline can alert on it. Errors keep their own codes.
   */
  drift: 9,
  /**
   * Not an error: `mygate failover watch --once` found a serving region lost and handled it (its
   * own failover run succeeded: MongoDB had elected in the survivors), so a schedule can report it.
   */
  watchHandled: 10,
  /**
   * Not an error of mygate: `failover watch --once` found a region lost that a person must handle
   * (a forced reconfiguration is needed, or the watch could not act); the alert says what to run.
   */
  watchNeedsHuman: 11,
} as const

export type ErrorCode = 'USAGE' | 'NOT_FOUND' | 'EXTERNAL' | 'TIMEOUT' | 'CONFLICT' | 'FAILED' | 'BOOKKEEPING'

export interface ErrorOptions {
  /** What the user can do about it: a flag, a command, a value to use instead. */
  hint?: string
  cause?: unknown
  /** Structured detail for --json consumers (e.g. the failing field, the failing pods). */
  details?: Record<string, unknown>
}

export abstract class MygateError extends Error {
  abstract readonly code: ErrorCode
  abstract readonly exitCode: number
  readonly hint?: string
  readonly details?: Record<string, unknown>

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.hint = options.hint
    this.details = options.details
  }
}

/** Bad input: flags, arguments, config, descriptors, templates. */
export class UsageError extends MygateError {
  readonly code = 'USAGE' as const
  readonly exitCode = ExitCode.usage
}

export class NotFoundError extends MygateError {
  readonly code = 'NOT_FOUND' as const
  readonly exitCode = ExitCode.notFound
}

/** A cluster, cloud API or external program failed or could not be reached. */
export class ExternalError extends MygateError {
  readonly code = 'EXTERNAL' as const
  readonly exitCode = ExitCode.external
}

export class TimeoutError extends MygateError {
  readonly code = 'TIMEOUT' as const
  readonly exitCode = ExitCode.timeout
}

export class ConflictError extends MygateError {
  readonly code = 'CONFLICT' as const
  readonly exitCode = ExitCode.conflict
}

/** The operation ran to its end and the outcome was a failure (e.g. a rollout rolled back). */
export class OperationFailedError extends MygateError {
  readonly code = 'FAILED' as const
  readonly exitCode = ExitCode.failed
}

/**
 * The work is done, its record is not: "deployed visitors 3.8.1; could not record it: <why>",
 * with the command that writes the record as the hint. `details` carries the command's result.
 */
export class BookkeepingError extends MygateError {
  readonly code = 'BOOKKEEPING' as const
  readonly exitCode = ExitCode.bookkeeping
}

export function isMygateError(error: unknown): error is MygateError {
  return error instanceof MygateError
}

/** Lists the choices for a "did you mean" style hint: `one of a, b, c`. */
export function oneOf(choices: readonly string[]): string {
  return choices.length === 0 ? 'none are defined' : `one of ${choices.join(', ')}`
}
