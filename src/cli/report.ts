import {ENVELOPE_API_VERSION, ErrorEnvelope, SuccessEnvelope} from './json-envelope.js'
import {formatErrorLine, normalizeError} from './normalize-error.js'

/**
 * How a command's outcome reaches the user: the --json envelope on stdout, or one error line on
 * stderr. Shared by the oclif base command and the fast paths in src/cli/fast-path.ts, so both
 * print exactly the same thing.
 */

export function successEnvelope<T>(command: string, result: T, warnings: string[] = []): SuccessEnvelope<T> {
  return {apiVersion: ENVELOPE_API_VERSION, ok: true, command, result, warnings}
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** Reports an error (envelope or one line, plus the stack when verbose) and returns the exit code. */
export function reportError(error: unknown, options: {command: string; json: boolean; verbose: boolean; warnings?: string[]}): number {
  const normalized = normalizeError(error, options.command)
  if (options.json) {
    const envelope: ErrorEnvelope = {
      apiVersion: ENVELOPE_API_VERSION,
      ok: false,
      command: options.command,
      error: {
        code: normalized.code,
        exitCode: normalized.exitCode,
        message: normalized.message,
        ...(normalized.hint ? {hint: normalized.hint} : {}),
        ...(normalized.details ? {details: normalized.details} : {}),
      },
      warnings: options.warnings ?? [],
    }
    writeJson(envelope)
  } else {
    process.stderr.write(`${formatErrorLine(normalized)}\n`)
  }
  if (options.verbose && normalized.original instanceof Error && normalized.original.stack) {
    process.stderr.write(`${normalized.original.stack}\n`)
  }
  return normalized.exitCode
}
