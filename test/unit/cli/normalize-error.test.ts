import {describe, expect, test} from 'vitest'

import {formatErrorLine, normalizeError, oneLine} from '../../../src/cli/normalize-error.js'
import {ExitCode, NotFoundError} from '../../../src/errors.js'

describe('normalizeError', () => {
  test('a MygateError keeps its code, exit code and hint', () => {
    const n = normalizeError(new NotFoundError('environment "x" not found', {hint: 'see `mygate env list`'}), 'env describe')
    expect(n).toMatchObject({code: 'NOT_FOUND', exitCode: ExitCode.notFound})
    expect(formatErrorLine(n)).toBe('Error: environment "x" not found (see `mygate env list`)')
  })

  test('an oclif parse error becomes a usage error on one line', () => {
    const parseError = Object.assign(new Error('The following error occurred:\n  Missing required flag env\nSee more help with --help'), {parse: {}, oclif: {exit: 2}})
    const n = normalizeError(parseError, 'deploy')
    expect(n).toMatchObject({code: 'USAGE', exitCode: ExitCode.usage, message: 'Missing required flag env'})
    expect(formatErrorLine(n)).not.toContain('\n')
  })

  test('anything else is an internal error pointing at --verbose', () => {
    const n = normalizeError(new TypeError('x is undefined\n    at foo'), 'render')
    expect(n).toMatchObject({code: 'INTERNAL', exitCode: ExitCode.internal, message: 'unexpected error: x is undefined'})
    expect(n.hint).toContain('--verbose')
  })

  test.each([
    ['Expected --output=xml to be one of: yaml, json\nSee more help with --help', 'Expected --output=xml to be one of: yaml, json'],
    ['Nonexistent flag: --nope\nSee more help with --help', 'Nonexistent flag: --nope'],
    ['The following errors occurred:\n  Missing required flag env\n  Missing required flag version', 'Missing required flag env; Missing required flag version'],
  ])('oneLine(%j)', (input, expected) => {
    expect(oneLine(input)).toBe(expected)
  })
})
