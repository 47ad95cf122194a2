import {OperationFailedError, type ErrorOptions} from '../errors.js'
import type {AnyDatabaseOp} from './operations.js'

/**
 * A database operation that ran and did not succeed: the script's error (`codeName`, e.g.
 * NotWritablePrimary, ExceededTimeLimit, InvalidReplicaSetConfig) or, when the script never ran
 * (mongosh could not connect, a Job that cannot start), why. Exit code: `failed` (7).
 * `details` carries {database, op, job, exitCode, codeName?, reason?} for --json.
 */
export class DatabaseOperationError extends OperationFailedError {
  readonly database: string
  readonly op: AnyDatabaseOp
  readonly job: string
  /** The script's error codeName, when it reported one. */
  readonly codeName?: string
  /** The pod's waiting reason when the Job could not start (e.g. CreateContainerConfigError). */
  readonly reason?: string
  /** The script's result JSON, when it printed one. */
  readonly result?: Record<string, unknown>

  constructor(
    message: string,
    fields: {database: string; op: AnyDatabaseOp; job: string; exitCode?: number; codeName?: string; reason?: string; result?: Record<string, unknown>},
    options: ErrorOptions = {},
  ) {
    super(message, {
      ...options,
      details: {database: fields.database, op: fields.op, job: fields.job, exitCode: fields.exitCode, codeName: fields.codeName, reason: fields.reason, ...options.details},
    })
    this.database = fields.database
    this.op = fields.op
    this.job = fields.job
    this.codeName = fields.codeName
    this.reason = fields.reason
    this.result = fields.result
  }
}
