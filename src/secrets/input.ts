import {readFile} from 'node:fs/promises'

import {UsageError} from '../errors.js'
import {isValidSecretKey} from './secret-catalog.js'

/**
 * Where `mygate secrets set` reads values from: standard input or a file, never the command line
 * (argv lands in shell history, `ps` output and CI logs). Two shapes:
 *
 * - `--key KEY`: the whole input is KEY's value (a PEM key, a JSON service account). From a file
 *   the bytes are kept exactly (binary-safe, as `kubectl create secret --from-file`); from stdin
 *   one trailing newline is dropped, the one `echo` and here-strings add.
 * - without `--key`: KEY=VALUE lines, as `kubectl create secret --from-env-file` reads them: the
 *   value is everything after the first `=`, verbatim (no quotes, no escapes); blank lines and
 *   lines starting with `#` are skipped.
 *
 * Errors name the key or the line number, never a value.
 */

/** Kubernetes refuses a Secret whose data exceeds 1 MiB (core/v1 validation: MaxSecretSize). */
export const MAX_SECRET_BYTES = 1024 * 1024

export interface SecretInputOptions {
  /** Name of the Secret, for messages. */
  secret: string
  key?: string
  fromFile?: string
  stdin: NodeJS.ReadableStream & {isTTY?: boolean}
}

/** key -> base64 value. */
export type SecretValues = Record<string, string>

export async function readSecretInput(options: SecretInputOptions): Promise<SecretValues> {
  let raw: Buffer
  let fromStdin = false
  if (options.fromFile !== undefined) {
    try {
      raw = await readFile(options.fromFile)
    } catch (error) {
      throw new UsageError(`cannot read --from-file ${options.fromFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {hint: 'name a readable file'})
    }
  } else {
    if (options.stdin.isTTY) {
      throw new UsageError(`no value for ${options.secret}: values are read from standard input or --from-file, never from the command line`, {
        hint: `pipe it in (\`mygate secrets set ${options.secret} ... < FILE\`) or pass --from-file FILE`,
      })
    }
    raw = await readAll(options.stdin)
    fromStdin = true
  }
  const where = options.fromFile ?? 'standard input'
  const values: SecretValues = {}
  if (options.key !== undefined) {
    const value = fromStdin ? withoutTrailingNewline(raw) : raw
    if (value.length === 0) throw emptyValue(options.secret, options.key, where)
    values[options.key] = value.toString('base64')
  } else {
    for (const [key, value] of parseKeyValueLines(raw.toString('utf8'), where)) {
      if (values[key] !== undefined) throw new UsageError(`${where} sets key "${key}" twice`, {hint: 'keep one line per key'})
      if (value.length === 0) throw emptyValue(options.secret, key, where)
      values[key] = Buffer.from(value, 'utf8').toString('base64')
    }
    if (Object.keys(values).length === 0) {
      throw new UsageError(`${where} holds no KEY=VALUE lines for ${options.secret}`, {
        hint: 'write one KEY=VALUE line per key, or pass --key KEY to take the whole input as one value',
      })
    }
  }
  const size = Object.values(values).reduce((n, value) => n + Buffer.byteLength(value, 'base64'), 0)
  if (size > MAX_SECRET_BYTES) {
    throw new UsageError(`the values for ${options.secret} take ${size} bytes; a Kubernetes Secret holds at most ${MAX_SECRET_BYTES}`, {
      hint: 'keep large files out of Secrets (mount them from a volume instead)',
    })
  }
  return values
}

/** KEY=VALUE lines -> pairs; a malformed line is named by number only (it may hold a value). */
export function parseKeyValueLines(text: string, where: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  const lines = text.split('\n')
  for (const [index, line] of lines.entries()) {
    const content = line.endsWith('\r') ? line.slice(0, -1) : line
    if (content.trim() === '' || content.trimStart().startsWith('#')) continue
    const at = content.indexOf('=')
    if (at <= 0) {
      throw new UsageError(`${where}:${index + 1} is not a KEY=VALUE line`, {hint: 'write KEY=VALUE, or pass --key KEY to take the whole input as one value'})
    }
    const key = content.slice(0, at).trim()
    if (!isValidSecretKey(key)) {
      throw new UsageError(`${where}:${index + 1}: the text before "=" is not a valid Secret key`, {hint: "keys use letters, digits, '-', '_' and '.'"})
    }
    pairs.push([key, content.slice(at + 1)])
  }
  return pairs
}

function withoutTrailingNewline(raw: Buffer): Buffer {
  if (raw.length >= 2 && raw[raw.length - 2] === 0x0d && raw[raw.length - 1] === 0x0a) return raw.subarray(0, -2)
  if (raw.length >= 1 && raw[raw.length - 1] === 0x0a) return raw.subarray(0, -1)
  return raw
}

function emptyValue(secret: string, key: string, where: string): UsageError {
  return new UsageError(`the value for ${secret}/${key} from ${where} is empty`, {hint: 'give a non-empty value; to remove a Secret use `mygate secrets delete`'})
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks)
}
