import {describe, expect, test} from 'vitest'

import {decideApiFault, type FaultTarget} from '../../../../src/local-cluster/api-server/faults.js'
import type {ApiFaultSettings} from '../../../../src/local-cluster/api-server/types.js'

const write: FaultTarget = {write: true, resource: 'deployments.apps', name: 'visitors'}
const read: FaultTarget = {write: false, resource: 'deployments.apps', name: 'visitors'}
const settings = (over: Partial<ApiFaultSettings>): ApiFaultSettings => ({errorRate: 0, statuses: [], latencyMs: 0, ...over})
/** A random source that returns the given values in turn. */
const draws = (...values: number[]) => {
  let i = 0
  return () => values[i++ % values.length]
}
const describeDecision = (d: ReturnType<typeof decideApiFault>) =>
  d.reject ? `reject ${d.reject.code} ${d.reject.reason}` : d.lose ? (d.lose.mode === 'drop' ? 'lose: drop' : `lose: ${d.lose.error.code}`) : 'pass'

describe('decideApiFault', () => {
  test.each<[string, Partial<ApiFaultSettings>, FaultTarget, {error: number; lost: number}, number[], string]>([
    ['no faults', {}, write, {error: 0, lost: 0}, [0], 'pass'],
    ['error rate drawn: statuses in turn', {errorRate: 0.5, statuses: [503, 429]}, read, {error: 1, lost: 0}, [0.1], 'reject 429 TooManyRequests'],
    ['error rate not drawn', {errorRate: 0.5, statuses: [503]}, read, {error: 0, lost: 0}, [0.9], 'pass'],
    ['default status 500', {errorRate: 1}, read, {error: 0, lost: 0}, [0], 'reject 500 InternalError'],
    ['409 for a write', {errorRate: 1, statuses: [409]}, write, {error: 0, lost: 0}, [0], 'reject 409 Conflict'],
    ['never 409 for a read: the next status', {errorRate: 1, statuses: [409, 503]}, read, {error: 0, lost: 0}, [0], 'reject 503 ServiceUnavailable'],
    ['never 409 for a read: passes when 409 is all there is', {errorRate: 1, statuses: [409]}, read, {error: 0, lost: 0}, [0], 'pass'],
    ['lost response, drop', {lostResponseRate: 1, lostResponse: 'drop'}, write, {error: 0, lost: 3}, [0], 'lose: drop'],
    ['lost response, error: a 5xx of the statuses', {lostResponseRate: 1, lostResponse: 'error', statuses: [429, 503]}, write, {error: 0, lost: 0}, [0], 'lose: 503'],
    ['lost response, error: 500 without a 5xx status', {lostResponseRate: 1, lostResponse: 'error', statuses: [429]}, write, {error: 0, lost: 0}, [0], 'lose: 500'],
    ['lost response, both: drop on even turns', {lostResponseRate: 1}, write, {error: 0, lost: 0}, [0], 'lose: drop'],
    ['lost response, both: error on odd turns', {lostResponseRate: 1}, write, {error: 0, lost: 1}, [0], 'lose: 500'],
    ['reads never lose their response', {lostResponseRate: 1}, read, {error: 0, lost: 0}, [0], 'pass'],
    ['an error drawn first wins over a lost response', {errorRate: 1, statuses: [503], lostResponseRate: 1}, write, {error: 0, lost: 0}, [0], 'reject 503 ServiceUnavailable'],
  ])('%s', (_, over, target, turns, random, expected) => {
    expect(describeDecision(decideApiFault(settings(over), target, turns, draws(...random)))).toBe(expected)
  })

  test.each<[string, Partial<ApiFaultSettings>, FaultTarget, number]>([
    ['a 429 carries 1 s by default, as kube-apiserver\'s own', {errorRate: 1, statuses: [429]}, read, 1],
    ['a 503 carries 1 s by default', {errorRate: 1, statuses: [503]}, read, 1],
    ['a 429 carries the configured 0 s', {errorRate: 1, statuses: [429], retryAfterSeconds: 0}, read, 0],
    ['a 503 carries the configured 3 s', {errorRate: 1, statuses: [503], retryAfterSeconds: 3}, read, 3],
    ['a lost response answered 503 carries it too', {lostResponseRate: 1, lostResponse: 'error', statuses: [503], retryAfterSeconds: 0}, write, 0],
  ])('Retry-After: %s', (_, over, target, seconds) => {
    const decision = decideApiFault(settings(over), target, {error: 0, lost: 0}, () => 0)
    const error = decision.reject ?? (decision.lose?.mode === 'error' ? decision.lose.error : undefined)
    expect(error?.status.details?.retryAfterSeconds).toBe(seconds)
  })

  test('an injected 409 names the object, as an optimistic-concurrency conflict does', () => {
    const decision = decideApiFault(settings({errorRate: 1, statuses: [409]}), write, {error: 0, lost: 0}, () => 0)
    expect(decision.reject?.message).toBe(
      'Operation cannot be fulfilled on deployments.apps "visitors": the object has been modified; please apply your changes to the latest version and try again (injected fault)',
    )
  })
})
