import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {describe, expect, test} from 'vitest'

import {ConflictError, UsageError} from '../../../src/errors.js'
import {MAX_SECRET_BYTES, parseKeyValueLines, readSecretInput} from '../../../src/secrets/input.js'
import {Redactor} from '../../../src/secrets/redact.js'
import {valuesFromEntry} from '../../../src/secrets/secret-store.js'
import {secretSpecs} from '../../../src/secrets/secret-catalog.js'
import {secretVersionName} from '../../../src/providers/gcp/secret-manager.js'
import {regionOfSecretId} from '../../../src/providers/aws/secrets-manager.js'
import {loadCatalog} from '../../../src/catalog/load-catalog.js'

const stdin = (text: string | Buffer, isTTY = false) => Object.assign(Readable.from([Buffer.from(text)]), {isTTY})
const decoded = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))
const dir = mkdtempSync(join(tmpdir(), 'mygate-secret-input-'))
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

async function usageError(work: Promise<unknown>): Promise<UsageError> {
  const error = await work.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(UsageError)
  return error as UsageError
}

describe('reading values (stdin or a file, never argv)', () => {
  test.each([
    ['stdin, --key: one trailing newline dropped', {key: 'k', stdin: stdin('s3cret\n')}, {k: 's3cret'}],
    ['stdin, --key: CRLF dropped too, inner newlines kept', {key: 'k', stdin: stdin('line1\nline2\r\n')}, {k: 'line1\nline2'}],
    ['file, --key: the exact bytes', {key: 'k', fromFile: file('pem', '-----BEGIN-----\nabc\n-----END-----\n'), stdin: stdin('', true)}, {k: '-----BEGIN-----\nabc\n-----END-----\n'}],
    ['KEY=VALUE lines: value verbatim after the first "=", comments and blanks skipped', {stdin: stdin('# comment\n\nkey-id=a=b=c\nkey-secret= spaced \r\n')}, {'key-id': 'a=b=c', 'key-secret': ' spaced '}],
  ])('%s', async (_what, options, expected) => {
    expect(decoded(await readSecretInput({secret: 's', ...options}))).toEqual(expected)
  })

  test('binary file content survives unchanged', async () => {
    const bytes = Buffer.from([0, 255, 10, 13, 128])
    const values = await readSecretInput({secret: 's', key: 'blob', fromFile: file('bin', bytes), stdin: stdin('', true)})
    expect(Buffer.from(values.blob, 'base64')).toEqual(bytes)
  })

  test.each([
    ['a terminal on stdin and no file', {key: 'k', stdin: stdin('', true)}, 'no value for s: values are read from standard input or --from-file, never from the command line'],
    ['an empty value (--key)', {key: 'k', stdin: stdin('\n')}, 'the value for s/k from standard input is empty'],
    ['an empty value (KEY=)', {stdin: stdin('key-id=\n')}, 'the value for s/key-id from standard input is empty'],
    ['nothing at all', {stdin: stdin('')}, 'standard input holds no KEY=VALUE lines for s'],
    ['a key set twice', {stdin: stdin('a=1x\na=2x\n')}, 'standard input sets key "a" twice'],
    ['a file that does not exist', {key: 'k', fromFile: join(dir, 'missing'), stdin: stdin('', true)}, `cannot read --from-file ${join(dir, 'missing')} (ENOENT)`],
  ])('%s is one clear usage error', async (_what, options, message) => {
    expect((await usageError(readSecretInput({secret: 's', ...options}))).message).toBe(message)
  })

  test('a line that is not KEY=VALUE is named by number, its content never echoed', async () => {
    const error = await usageError(readSecretInput({secret: 's', stdin: stdin('ok=1x\nhunter2-no-equals\n=also-secret\n')}))
    expect(error.message).toBe('standard input:2 is not a KEY=VALUE line')
    expect(() => parseKeyValueLines('bad key=topsecret', 'f')).toThrow('f:1: the text before "=" is not a valid Secret key')
    expect(() => parseKeyValueLines('bad key=topsecret', 'f')).not.toThrow(/topsecret|bad key/)
  })

  test('more than a Secret holds (1 MiB) is refused', async () => {
    const error = await usageError(readSecretInput({secret: 's', key: 'k', fromFile: file('big', Buffer.alloc(MAX_SECRET_BYTES + 1, 65)), stdin: stdin('', true)}))
    expect(error.message).toBe(`the values for s take ${MAX_SECRET_BYTES + 1} bytes; a Kubernetes Secret holds at most ${MAX_SECRET_BYTES}`)
  })
})

describe('redaction', () => {
  const value = 'p@ss:w/rd-0123456789\nsecond line of the value'
  const redactor = new Redactor([value])

  test.each([
    ['as typed', value],
    ['base64', Buffer.from(value).toString('base64')],
    ['base64url', Buffer.from(value).toString('base64url')],
    ['JSON-escaped', JSON.stringify(value)],
    ['percent-encoded (a connection string)', `mongodb://u:${encodeURIComponent(value)}@h`],
    ['one long line of it', 'error near second line of the value'],
  ])('%s', (_what, text) => {
    const scrubbed = redactor.scrub(`before ${text} after`)
    expect(scrubbed).toContain('[redacted]')
    expect(scrubbed).not.toContain('second line of the value')
    expect(scrubbed).not.toContain(Buffer.from(value).toString('base64'))
  })

  test('errors keep their class, exit code and hint, scrubbed; the cause is dropped', async () => {
    const original = new ConflictError(`apply Secret x: value ${value} rejected`, {hint: `not ${Buffer.from(value).toString('base64')}`, cause: new Error(value), details: {echo: value}})
    const error = await redactor.guard(() => Promise.reject(original)).catch((e: unknown) => e as ConflictError)
    expect(error).toBeInstanceOf(ConflictError)
    expect(error.exitCode).toBe(6)
    expect(error.message).toBe('apply Secret x: value [redacted] rejected')
    expect(error.hint).toBe('not [redacted]')
    expect(JSON.stringify(error.details)).not.toContain('second line')
    expect(error.cause).toBeUndefined()
    const plain = await redactor.guard(() => Promise.reject(new TypeError(`bad ${value}`))).catch((e: unknown) => e as Error)
    expect(plain).not.toBeInstanceOf(UsageError)
    expect(plain.name).toBe('TypeError')
    expect(plain.message).not.toContain('second line')
  })
})

describe('cloud secret store entries', async () => {
  const specs = secretSpecs(await loadCatalog())
  const gateway = specs.find((s) => s.name === 'payment-gateway')!
  const entry = (text: string) => ({reference: 'arn:aws:secretsmanager:ap-south-1:123456789012:secret:pg-AbCdEf', value: Buffer.from(text)})

  test('a JSON object of the keys the services read', () => {
    expect(decoded(valuesFromEntry(gateway, entry('{"key-id":"id1","key-secret":"sec1"}')))).toEqual({'key-id': 'id1', 'key-secret': 'sec1'})
  })

  test('with --key, the whole entry is that key', () => {
    expect(decoded(valuesFromEntry(gateway, entry('{"not":"parsed"}'), 'webhook-secret'))).toEqual({'webhook-secret': '{"not":"parsed"}'})
  })

  test.each([
    ['not JSON', 'plain-text-value', 'does not hold a JSON object of key/value pairs'],
    ['a key no service reads', '{"key_id":"x1"}', 'Secret payment-gateway has no key "key_id" that a service reads'],
    ['a non-string value', '{"key-id":42}', 'key "key-id" must be a non-empty string'],
    ['an empty object', '{}', 'holds an empty JSON object'],
  ])('%s is refused without echoing the entry', (_what, text, message) => {
    expect(() => valuesFromEntry(gateway, entry(text))).toThrow(message)
    expect(() => valuesFromEntry(gateway, entry(text))).not.toThrow(/plain-text-value/)
  })

  test.each([
    ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:mygate/sms-AbCdEf', 'eu-west-1'],
    ['mygate/sms', 'ap-south-1'],
  ])('AWS secret %s is read in %s', (id, region) => {
    expect(regionOfSecretId(id, 'ap-south-1')).toBe(region)
  })

  test.each([
    ['projects/p1/secrets/sms/versions/3', undefined, 'projects/p1/secrets/sms/versions/3'],
    ['projects/p1/secrets/sms', undefined, 'projects/p1/secrets/sms/versions/latest'],
    ['sms', 'p2', 'projects/p2/secrets/sms/versions/latest'],
  ])('Google secret %s (project %s) -> %s', (id, project, name) => {
    expect(secretVersionName(id, project)).toBe(name)
  })

  test('a bare Google secret name needs a project', () => {
    expect(() => secretVersionName('sms')).toThrow('secret "sms" needs a project')
    expect(() => secretVersionName('a/b')).toThrow('"a/b" is not a Secret Manager secret')
  })
})
