import {Command, Errors, Flags, Interfaces} from '@oclif/core'

import type {SuccessEnvelope} from './json-envelope.js'
import {reportError, successEnvelope, writeJson} from './report.js'

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
    return successEnvelope(this.commandName, result, this.warnings)
  }

  protected override logJson(json: unknown): void {
    // Uncoloured: scripts parse this, people use the human output.
    writeJson(json)
  }

  override async catch(error: Error & {exitCode?: number}): Promise<never> {
    const exitCode = reportError(error, {
      command: this.commandName,
      json: this.jsonEnabled(),
      verbose: this.argv.includes('--verbose') || Boolean(process.env.DEBUG),
      warnings: this.warnings,
    })
    // ExitError is not printed again by oclif's handler; it only sets the exit code.
    throw new Errors.ExitError(exitCode)
  }
}

export type FlagsOf<T extends typeof Command> = Interfaces.InferredFlags<(typeof MygateCommand)['baseFlags'] & T['flags']>
