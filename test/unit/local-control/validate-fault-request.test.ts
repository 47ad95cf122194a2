import {describe, expect, test} from 'vitest'

import {type FaultRequest, validateFaultRequest} from '../../../src/local-control/inject-faults.js'

describe('validateFaultRequest: --api-retry-after', () => {
  test.each<[string, Partial<FaultRequest>]>([
    ['0 with an error rate', {apiErrorRate: 0.2, apiStatuses: [429], apiRetryAfterSeconds: 0}],
    ['3 with a lost-response rate', {apiLostResponseRate: 0.1, apiRetryAfterSeconds: 3}],
  ])('accepts %s', (_, request) => {
    expect(() => validateFaultRequest({env: 'demo', ...request})).not.toThrow()
  })

  test.each<[string, Partial<FaultRequest>, string]>([
    ['a negative number', {apiErrorRate: 0.2, apiRetryAfterSeconds: -1}, '--api-retry-after -1 must be a whole number of seconds >= 0'],
    ['a fraction (Retry-After is whole seconds)', {apiErrorRate: 0.2, apiRetryAfterSeconds: 0.5}, '--api-retry-after 0.5 must be a whole number of seconds >= 0'],
    ['no API fault to carry it', {apiRetryAfterSeconds: 0, service: 'auth', crash: true}, '--api-retry-after needs --api-error-rate or --api-lost-response-rate'],
  ])('refuses %s', (_, request, message) => {
    expect(() => validateFaultRequest({env: 'demo', ...request})).toThrow(message)
  })
})
