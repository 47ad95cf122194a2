import {describe, expect, test} from 'vitest'

import {assertValidFlagSet, flagSetProblems} from '../../../src/flags/flag-schema.js'

const onOff = (extra: Record<string, unknown> = {}) => ({state: 'ENABLED', variants: {on: true, off: false}, defaultVariant: 'off', ...extra})

describe('flag sets against flagd\'s published schema', () => {
  test('a valid set with a fractional split and metadata has no problems', () => {
    const set = {flags: {'upi-autopay': onOff({targeting: {fractional: [['on', 10], ['off', 90]]}, metadata: {services: 'billing'}})}}
    expect(flagSetProblems(set)).toEqual([])
  })

  test.each([
    ['state not in the enum', {flags: {a: onOff({state: 'ON'})}}, 'flags.a.state', 'must be one of "ENABLED", "DISABLED"'],
    ['variants missing', {flags: {a: {state: 'ENABLED', defaultVariant: 'off'}}}, 'flags.a', 'is missing "variants"'],
    ['no flags at all', {}, '(document)', 'is missing "flags"'],
    ['metadata value that is an object', {flags: {a: onOff({metadata: {services: {x: 1}}})}}, 'flags.a.metadata.services', 'must be'],
    ['fractional weight that is a decimal', {flags: {a: onOff({targeting: {fractional: [['on', 0.5], ['off', 99.5]]}})}}, 'flags.a.targeting', ''],
  ])('%s -> the path of the error', (_name, set, path, message) => {
    const [problem] = flagSetProblems(set)
    expect(problem.path.startsWith(path)).toBe(true)
    expect(problem.message).toContain(message)
  })

  test.each([
    ['defaultVariant', {flags: {a: onOff({defaultVariant: 'maybe'})}}, 'flags.a.defaultVariant'],
    ['a fractional bucket', {flags: {a: onOff({targeting: {fractional: [['enabled', 50], ['off', 50]]}})}}, 'flags.a.targeting.fractional[0][0]'],
    ['an if branch', {flags: {a: onOff({targeting: {if: [{'==': [{var: 'tier'}, 'gold']}, 'gold', 'off']}})}}, 'flags.a.targeting.if[1]'],
    ['an evaluator', {flags: {a: onOff({targeting: {if: [{'==': [{var: 'x'}, 1]}, {$ref: 'r'}, 'off']}})}, $evaluators: {r: {if: [{'==': [{var: 'y'}, 1]}, 'nope', 'off']}}}, '$evaluators.r.if[1]'],
  ])('targeting naming an unknown variant in %s is an error', (_name, set, path) => {
    const problems = flagSetProblems(set)
    expect(problems).toHaveLength(1)
    expect(problems[0].path).toBe(path)
    expect(problems[0].message).toMatch(/names unknown variant/)
  })

  test('condition strings are not taken for variants', () => {
    expect(flagSetProblems({flags: {a: onOff({targeting: {if: [{in: ['@mygate.in', {var: 'email'}]}, 'on', 'off']}})}})).toEqual([])
  })

  test('assertValidFlagSet throws one line naming the source and the path', () => {
    expect(() => assertValidFlagSet({flags: {a: onOff({state: 'ON'})}}, 'flags.yaml')).toThrow(/^flags\.yaml: flags\.a\.state must be one of/)
  })
})
