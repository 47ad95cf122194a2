import {describe, expect, test} from 'vitest'

import {UsageError} from '../../../src/errors.js'
import {chooseStrategy, parseCanarySteps, parseImageRef, validateImageTag} from '../../../src/rollout/flags.js'

describe('parseCanarySteps', () => {
  test.each([
    ['10,25,50,100', [10, 25, 50, 100]],
    ['10,25,50', [10, 25, 50, 100]],
    [' 5 , 50 ', [5, 50, 100]],
    ['100', [100]],
    ['1,99', [1, 99, 100]],
  ])('%j -> %j', (text, steps) => {
    expect(parseCanarySteps(text)).toEqual(steps)
  })

  test.each([
    ['10,5', '--steps "10,5": steps must increase (5 after 10)'],
    ['10,10', '--steps "10,10": steps must increase (10 after 10)'],
    ['0,50', '--steps "0,50": 0 is outside 1..100'],
    ['50,101', '--steps "50,101": 101 is outside 1..100'],
    ['10,2.5', '--steps "10,2.5": "2.5" is not a whole percentage'],
    ['10,-5', '--steps "10,-5": "-5" is not a whole percentage'],
    ['ten', '--steps "ten": "ten" is not a whole percentage'],
    ['10,,50', '--steps "10,,50": expected comma-separated percentages'],
    ['', '--steps "": expected comma-separated percentages'],
  ])('rejects %j', (text, message) => {
    expect(() => parseCanarySteps(text)).toThrow(UsageError)
    expect(() => parseCanarySteps(text)).toThrow(message)
  })
})

describe('validateImageTag', () => {
  test.each(['1.3.0', 'v2', 'latest', '_build', '1.3.0-rc.1', 'a'.repeat(128)])('accepts %j', (tag) => {
    expect(validateImageTag(tag)).toBe(tag)
  })

  test.each(['', '.1', '-rc', '1.3.0+build', 'a/b', 'a:b', 'a'.repeat(129), 'über'])('rejects %j naming it', (tag) => {
    expect(() => validateImageTag(tag)).toThrow(UsageError)
    expect(() => validateImageTag(tag)).toThrow(`--version "${tag}" is not a valid image tag`)
  })
})

describe('parseImageRef', () => {
  const digest = `sha256:${'ab'.repeat(32)}`

  test.each([
    ['registry.mygate.dev/mygate/visitors:1.3.0', {registry: 'registry.mygate.dev', repository: 'mygate/visitors', tag: '1.3.0', digest: undefined, version: '1.3.0'}],
    ['mygate/visitors:1.3.0', {registry: undefined, repository: 'mygate/visitors', tag: '1.3.0', digest: undefined, version: '1.3.0'}],
    ['localhost:5000/visitors:dev', {registry: 'localhost:5000', repository: 'visitors', tag: 'dev', digest: undefined, version: 'dev'}],
    [`localhost:5000/visitors@${digest}`, {registry: 'localhost:5000', repository: 'visitors', tag: undefined, digest, version: 'abababababab'}],
    [`visitors:1.3.0@${digest}`, {registry: undefined, repository: 'visitors', tag: '1.3.0', digest, version: '1.3.0'}],
  ])('%s', (ref, expected) => {
    expect(parseImageRef(ref)).toEqual({...expected, ref})
  })

  test.each([
    ['mygate/visitors', 'needs a tag or a digest'],
    ['localhost:5000/visitors', 'needs a tag or a digest'],
    ['mygate/Visitors:1.0', '"Visitors" is not a valid repository name component'],
    ['mygate/visitors:.bad', '".bad" is not a valid image tag'],
    ['mygate/visitors@sha256:xyz', '"sha256:xyz" is not a digest'],
    ['', 'is empty'],
  ])('rejects %j: %s', (ref, why) => {
    expect(() => parseImageRef(ref)).toThrow(UsageError)
    expect(() => parseImageRef(ref)).toThrow(`--image "${ref}": ${why}`)
  })
})

describe('chooseStrategy', () => {
  test.each([
    [{}, 'canary', 'canary'],
    [{}, 'rolling', 'rolling'],
    [{blueGreen: true}, 'canary', 'blue-green'],
    [{rolling: true, canary: false}, 'canary', 'rolling'],
    [{canary: true}, 'rolling', 'canary'],
  ] as const)('%j with default %s -> %s', (flags, fallback, strategy) => {
    expect(chooseStrategy(flags, fallback)).toBe(strategy)
  })

  test.each([
    [{canary: true, blueGreen: true}, '--canary cannot be combined with --blue-green'],
    [{blueGreen: true, rolling: true}, '--blue-green cannot be combined with --rolling'],
    [{canary: true, rolling: true, blueGreen: true}, '--canary cannot be combined with --blue-green'],
  ])('rejects %j', (flags, message) => {
    expect(() => chooseStrategy(flags, 'canary')).toThrow(UsageError)
    expect(() => chooseStrategy(flags, 'canary')).toThrow(message)
  })
})
