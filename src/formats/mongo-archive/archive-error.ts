import {OperationFailedError, type ErrorOptions} from '../../errors.js'

/**
 * The bytes are not a well-formed mongodump archive, or a namespace's documents do not match the
 * CRC its EOF header carries: a corrupted or truncated backup. A restore must refuse it.
 */
export class ArchiveFormatError extends OperationFailedError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, {hint: 'the archive is corrupted or truncated: restore from another backup (`mygate backup list`)', ...options})
  }
}
