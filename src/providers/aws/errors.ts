import {ExternalError, TimeoutError, UsageError} from '../../errors.js'
import {formatDuration} from '../../duration.js'

/** Turning AWS SDK errors into mygate's closed error set. */

export function awsErrorName(error: unknown): string {
  return (error as {name?: string} | undefined)?.name ?? ''
}

export function isAwsError(error: unknown, ...names: string[]): boolean {
  const name = awsErrorName(error)
  const code = (error as {Code?: string} | undefined)?.Code
  return names.includes(name) || (code !== undefined && names.includes(code))
}

export function awsMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0]
}

/** Credential resolution failures: nothing in the environment, profile or instance metadata. */
export function isMissingCredentials(error: unknown): boolean {
  return awsErrorName(error) === 'CredentialsProviderError' || /could not load credentials/i.test(awsMessage(error))
}

export function noCredentialsError(cause: unknown): UsageError {
  return new UsageError('no AWS credentials found', {
    hint: 'set AWS_PROFILE to a configured profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or run `aws configure`)',
    cause,
  })
}

/** Any other AWS API failure, naming what mygate was doing. */
export function awsFailure(action: string, error: unknown): ExternalError {
  const name = awsErrorName(error)
  return new ExternalError(`AWS ${action} failed: ${name && name !== 'Error' ? `${name}: ` : ''}${awsMessage(error)}`, {
    hint: 'check the AWS console or `aws` CLI for this resource, then re-run (mygate converges)',
    cause: error,
  })
}

/** The SDK waiters throw an Error named TimeoutError when maxWaitTime passes. */
export function isWaiterTimeout(error: unknown): boolean {
  return awsErrorName(error) === 'TimeoutError'
}

export function waiterTimeout(what: string, seconds: number, cause: unknown): TimeoutError {
  return new TimeoutError(`timed out after ${formatDuration(seconds * 1000)} waiting for ${what}`, {
    hint: 're-run the same command to keep waiting (mygate picks up where it stopped)',
    cause,
  })
}
