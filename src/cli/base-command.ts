import {Command, Errors, Flags, Interfaces} from '@oclif/core'

import {ENVELOPE_API_VERSION, ErrorEnvelope, SuccessEnvelope} from './json-envelope.js'
import {formatErrorLine, normalizeError} from './normalize-error.js'

/**
 * Base for every mygate command. A command parses its flags, calls one function in src/ and
 * returns the typed result: `--json` prints it in the envelope, otherwise `present()` renders it.
 * Errors are mapped to one line and an exit code here, and only here.
 */
export abstract class MygateCommand<T> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    verbose: Flags.boolean({description: 'Show stack traces and debug detail on errors.', helpGroup: 'GLOBAL'}),
    config: Flags.string({
      description: 'Path to mygate.yaml (default: ./mygate.yaml, or $MYGATE_CONFIG).',
      env: 'MYGATE_CONFIG',
      helpGroup: 'GLOBAL',
    }),
  }

  private readonly warnings: string[] = []

  /** Does the work and returns the result `--json` prints. */
  protected abstract execute(): Promise<T>

  /** Renders the result for a person (stdout). Default: nothing beyond progress. */
  protected present(_result: T): void {}

  async run(): Promise<T> {
    const result = await this.execute()
    if (!this.jsonEnabled()) this.present(result)
    return result
  }

  /** Human-facing progress and notes go to stderr so stdout stays pipeable. */
  protected note(message: string): void {
    process.stderr.write(`${message}\n`)
  }

  protected addWarning(message: string): void {
    this.warnings.push(message)
    if (!this.jsonEnabled()) process.stderr.write(`Warning: ${message}\n`)
  }

  protected get commandName(): string {
    return (this.id ?? '').replaceAll(':', ' ')
  }

  protected override toSuccessJson(result: T): SuccessEnvelope<T> {
    return {apiVersion: ENVELOPE_API_VERSION, ok: true, command: this.commandName, result, warnings: this.warnings}
  }

  protected override logJson(json: unknown): void {
    // Compact and uncoloured: scripts parse this, people use the human output.
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  override async catch(error: Error & {exitCode?: number}): Promise<never> {
    const normalized = normalizeError(error, this.commandName)
    const verbose = this.argv.includes('--verbose') || Boolean(process.env.DEBUG)
    if (this.jsonEnabled()) {
      const envelope: ErrorEnvelope = {
        apiVersion: ENVELOPE_API_VERSION,
        ok: false,
        command: this.commandName,
        error: {
          code: normalized.code,
          exitCode: normalized.exitCode,
          message: normalized.message,
          ...(normalized.hint ? {hint: normalized.hint} : {}),
          ...(normalized.details ? {details: normalized.details} : {}),
        },
        warnings: this.warnings,
      }
      this.logJson(envelope)
    } else {
      process.stderr.write(`${formatErrorLine(normalized)}\n`)
    }
    if (verbose && normalized.original instanceof Error && normalized.original.stack) {
      process.stderr.write(`${normalized.original.stack}\n`)
    }
    // ExitError is not printed again by oclif's handler; it only sets the exit code.
    throw new Errors.ExitError(normalized.exitCode)
  }
}

export type FlagsOf<T extends typeof Command> = Interfaces.InferredFlags<(typeof MygateCommand)['baseFlags'] & T['flags']>
