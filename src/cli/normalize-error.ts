import {ExitCode, MygateError, UsageError, isMygateError} from '../errors.js'

export interface NormalizedError {
  code: MygateError['code'] | 'INTERNAL'
  exitCode: number
  message: string
  hint?: string
  details?: Record<string, unknown>
  original: unknown
}

interface OclifLikeError {
  message: string
  oclif?: {exit?: number}
  parse?: unknown
}

function isOclifParseError(error: unknown): error is OclifLikeError {
  return typeof error === 'object' && error !== null && 'parse' in error && 'oclif' in error
}

/**
 * oclif's parse errors span several lines ("The following error occurred:\n  Missing required
 * flag env\nSee more help with --help"); fold them into one line without the boilerplate.
 */
export function oneLine(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^See more help with/.test(line) && !/^The following errors? occurred:?$/.test(line))
  return (lines.length > 0 ? lines.join('; ') : message.trim()).replace(/^[›\s]+/, '')
}

/** Maps anything thrown below a command onto the closed error set (see src/errors.ts). */
export function normalizeError(error: unknown, commandId: string): NormalizedError {
  if (isMygateError(error)) {
    return {code: error.code, exitCode: error.exitCode, message: error.message, hint: error.hint, details: error.details, original: error}
  }
  if (isOclifParseError(error)) {
    const usage = new UsageError(oneLine(error.message), {hint: `see \`mygate ${commandId} --help\``})
    return {code: usage.code, exitCode: usage.exitCode, message: usage.message, hint: usage.hint, original: error}
  }
  const message = error instanceof Error ? error.message : String(error)
  return {
    code: 'INTERNAL',
    exitCode: ExitCode.internal,
    message: `unexpected error: ${message.split('\n')[0]}`,
    hint: 're-run with --verbose for the stack trace and report it',
    original: error,
  }
}

/** One line for a person: the message, then what to do about it. */
export function formatErrorLine(error: NormalizedError): string {
  return error.hint ? `Error: ${error.message} (${error.hint})` : `Error: ${error.message}`
}
