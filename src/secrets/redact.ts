import {type ErrorOptions, isMygateError, type MygateError} from '../errors.js'

/**
 * The last line of defence for "no secret value in any output": every error that leaves a secrets
 * operation passes through a Redactor that knows the values in play and replaces each of their
 * forms (as typed, base64 as the API carries it, base64url, JSON-escaped, percent-encoded as in a
 * connection string, and each long line of a multi-line value such as a PEM key) with
 * `[redacted]`. Messages are built from names in the first place; this catches what a server or a
 * library might echo. The cause is dropped: its text and stack were not scrubbed.
 */

const REDACTED = '[redacted]'
/** Shorter values are not scrubbed: they would garble ordinary words (nor are they real credentials). */
const MIN_LENGTH = 4
const MIN_LINE_LENGTH = 16

export class Redactor {
  private readonly needles = new Set<string>()

  constructor(plainValues: Iterable<string> = []) {
    for (const value of plainValues) this.add(value)
  }

  /** Adds a value given as the API carries it (base64). */
  addBase64(value: string): this {
    return this.add(Buffer.from(value, 'base64').toString('utf8'))
  }

  add(plain: string): this {
    const forms = [
      plain,
      Buffer.from(plain, 'utf8').toString('base64'),
      Buffer.from(plain, 'utf8').toString('base64url'),
      JSON.stringify(plain).slice(1, -1),
      encodeURIComponent(plain),
      ...plain.split(/\r?\n/).filter((line) => line.trim().length >= MIN_LINE_LENGTH),
    ]
    for (const form of forms) if (form.length >= MIN_LENGTH) this.needles.add(form)
    return this
  }

  scrub(text: string): string {
    let result = text
    // Longest first, so a value's base64 is replaced whole before any shorter form inside it.
    for (const needle of [...this.needles].sort((a, b) => b.length - a.length)) result = result.split(needle).join(REDACTED)
    return result
  }

  /** A copy of the error with every string scrubbed, of the same class (a plain Error for anything not mygate's). */
  error(error: unknown): Error {
    const scrubDetails = (details: Record<string, unknown> | undefined) =>
      details === undefined ? undefined : (JSON.parse(this.scrub(JSON.stringify(details))) as Record<string, unknown>)
    if (isMygateError(error)) {
      const options: ErrorOptions = {hint: error.hint === undefined ? undefined : this.scrub(error.hint), details: scrubDetails(error.details)}
      const Kind = error.constructor as new (message: string, options: ErrorOptions) => MygateError
      return new Kind(this.scrub(error.message), options)
    }
    // Not one of ours: still a bug as far as the exit code goes, only with a scrubbed message.
    const copy = new Error(this.scrub(error instanceof Error ? error.message : String(error)))
    copy.name = error instanceof Error ? error.name : 'Error'
    return copy
  }

  /** Runs `work`, rethrowing any failure scrubbed. */
  async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      throw this.error(error)
    }
  }
}
