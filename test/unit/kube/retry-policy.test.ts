import {describe, expect, test} from 'vitest'

import {
  backoffDelayMs,
  DEFAULT_RETRY,
  isIdempotent,
  isRetryableConflict,
  isRetryableNetworkError,
  mayHaveTakenEffect,
  nextRetry,
  parseRetryAfter,
  RETRYABLE_STATUSES,
} from '../../../src/kube/retry-policy.js'

describe('isIdempotent: which requests may be repeated', () => {
  test.each([
    ['GET', undefined, true],
    ['HEAD', undefined, true],
    ['DELETE', undefined, true],
    ['PATCH', 'application/apply-patch+yaml', true],
    ['PATCH', 'application/merge-patch+json', true],
    ['PATCH', 'application/strategic-merge-patch+json', true],
    ['PATCH', 'application/json-patch+json', false],
    ['PUT', 'application/json', false],
    ['POST', 'application/json', false],
    ['get', undefined, true],
  ])('%s %s -> %s', (method, contentType, expected) => {
    expect(isIdempotent(method, contentType)).toBe(expected)
  })
})

describe('statuses and network errors worth a retry', () => {
  test.each([
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [409, false],
    [404, false],
    [410, false],
    [422, false],
    [401, false],
  ])('HTTP %i -> %s', (code, expected) => {
    expect(RETRYABLE_STATUSES.has(code)).toBe(expected)
  })

  test.each([
    ['ECONNRESET', false, true],
    ['EPIPE', false, true],
    ['ECONNREFUSED', false, false],
    ['ECONNREFUSED', true, true],
    ['ETIMEDOUT', true, false],
    ['ENOTFOUND', true, false],
    [undefined, true, false],
  ])('%s (answered before: %s) -> %s', (code, answeredBefore, expected) => {
    expect(isRetryableNetworkError(code, answeredBefore)).toBe(expected)
  })

  test.each([
    [{status: 429}, false],
    [{status: 409}, false],
    [{status: 500}, true],
    [{status: 503}, true],
    [{code: 'ECONNREFUSED'}, false],
    [{code: 'ECONNRESET'}, true],
    [{code: 'EPIPE'}, true],
  ])('%j may have taken effect: %s', (outcome, expected) => {
    expect(mayHaveTakenEffect(outcome)).toBe(expected)
  })
})

describe('isRetryableConflict: a 409 is repeated only for writes that read nothing of the object', () => {
  test.each([
    [409, 'Conflict', true, true],
    [409, undefined, true, true],
    [409, 'AlreadyExists', true, false],
    [409, 'Conflict', false, false],
    [503, 'ServiceUnavailable', true, false],
  ])('HTTP %i %s (conflict retryable: %s) -> %s', (code, reason, conflictRetryable, expected) => {
    expect(isRetryableConflict(code, reason, conflictRetryable)).toBe(expected)
  })
})

describe('parseRetryAfter (RFC 9110 10.2.3)', () => {
  const now = Date.parse('2026-12-03T10:00:00Z')
  test.each([
    ['1', 1_000],
    ['0', 0],
    [' 3 ', 3_000],
    ['Thu, 03 Dec 2026 10:00:05 GMT', 5_000],
    ['Thu, 03 Dec 2026 09:59:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
    [['2', '9'], 2_000],
  ])('%j -> %s ms', (header, expected) => {
    expect(parseRetryAfter(header as string | string[] | undefined, now)).toBe(expected)
  })
})

describe('backoffDelayMs: equal jitter over a doubling step', () => {
  const options = {initialDelayMs: 100, maxDelayMs: 2_000}
  test.each([
    [1, 0, 50],
    [1, 0.999999, 100],
    [2, 0, 100],
    [2, 0.5, 150],
    [5, 0, 800],
    [5, 0.999999, 1_600],
    [6, 0, 1_000],
    [6, 0.999999, 2_000],
    [30, 0.5, 1_500],
  ])('retry %i with random %d -> %i ms', (retry, random, expected) => {
    expect(backoffDelayMs(retry, options, () => random)).toBe(expected)
  })

  test('every delay of the default policy lies within [step/2, step]', () => {
    for (let retry = 1; retry <= 12; retry++) {
      const step = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.initialDelayMs * 2 ** (retry - 1))
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelayMs(retry, DEFAULT_RETRY)
        expect(delay).toBeGreaterThanOrEqual(step / 2)
        expect(delay).toBeLessThanOrEqual(step)
      }
    }
  })
})

describe('nextRetry: backoff or Retry-After, within the deadline', () => {
  const options = {deadlineMs: 1_000, initialDelayMs: 100, maxDelayMs: 400, random: () => 0}
  test.each([
    [{retry: 1, elapsedMs: 0}, {retry: true, delayMs: 50}],
    [{retry: 3, elapsedMs: 500}, {retry: true, delayMs: 200}],
    [{retry: 3, elapsedMs: 850}, {retry: false}],
    [{retry: 1, elapsedMs: 0, retryAfterMs: 900}, {retry: true, delayMs: 900}],
    [{retry: 1, elapsedMs: 200, retryAfterMs: 900}, {retry: false}],
    [{retry: 1, elapsedMs: 999, retryAfterMs: 0}, {retry: true, delayMs: 0}],
  ])('%j -> %j', (failure, expected) => {
    expect(nextRetry(failure, options)).toEqual(expected)
  })
})
