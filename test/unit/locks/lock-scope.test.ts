import {describe, expect, test} from 'vitest'

import {conflicts, decodeScope, describeLock, encodeScope, lockLeaseName, type LockScope} from '../../../src/locks/lock-scope.js'

const env = (operation: 'failover' | 'restore' | 'sync' | 'create' = 'failover'): LockScope => ({kind: 'environment', operation})
const service = (name: string): LockScope => ({kind: 'service', service: name, operation: 'deploy'})
const flag = (name: string, ...services: string[]): LockScope => ({kind: 'flag', flag: name, services, operation: 'flag-rollout'})

describe('conflicts', () => {
  test.each<[string, LockScope, LockScope, boolean]>([
    ['environment vs a deploy', env(), service('billing'), true],
    ['a deploy vs environment', service('billing'), env('restore'), true],
    ['environment vs a flag rollout', env('sync'), flag('upi-autopay', 'billing'), true],
    ['two environment operations are one lock (the Lease arbitrates)', env('failover'), env('restore'), false],
    ['the same service is one lock', service('billing'), service('billing'), false],
    ['deploys of two services', service('billing'), service('visitors'), false],
    ['a flag over the deployed service', flag('upi-autopay', 'billing'), service('billing'), true],
    ['a flag over other services', flag('upi-autopay', 'billing'), service('visitors'), false],
    ['two flags sharing a service', flag('a', 'billing', 'users'), flag('b', 'users'), true],
    ['two flags on disjoint services', flag('a', 'billing'), flag('b', 'visitors'), false],
    ['a flag no service evaluates', flag('a'), service('billing'), false],
  ])('%s', (_name, a, b, expected) => {
    expect(conflicts(a, b)).toBe(expected)
    expect(conflicts(b, a)).toBe(expected)
  })
})

describe('lease names', () => {
  test.each<[LockScope, string]>([
    [env(), 'mygate-environment-lock'],
    [service('billing'), 'mygate-deploy-billing'],
    [flag('upi-autopay', 'billing'), 'mygate-flag-upi-autopay'],
  ])('%j -> %s', (scope, name) => expect(lockLeaseName(scope)).toBe(name))
})

describe('decodeScope', () => {
  test('round-trips every kind', () => {
    for (const scope of [env('restore'), service('users'), flag('f', 'a', 'b')]) {
      expect(decodeScope({'mygate.dev/lock-scope': encodeScope(scope)}, {})).toEqual(scope)
    }
  })
  test('a deploy Lease from before the lock model is a service lock', () => {
    expect(decodeScope(undefined, {'mygate.dev/rollout-service': 'billing'})).toEqual(service('billing'))
  })
  test.each([['not json'], ['{"kind":"mystery"}'], ['{"kind":"flag","flag":3}']])('unreadable scope %s is read as the strictest (environment)', (text) => {
    expect(decodeScope({'mygate.dev/lock-scope': text}, {}).kind).toBe('environment')
  })
})

test('describeLock names the operation and target', () => {
  expect(describeLock(env('failover'))).toBe('a failover of the environment')
  expect(describeLock(env('sync'))).toBe('an env sync of the environment')
  expect(describeLock(service('billing'))).toBe('a deploy of billing')
  expect(describeLock(flag('upi-autopay', 'billing'))).toBe('a rollout of flag upi-autopay (billing)')
})
