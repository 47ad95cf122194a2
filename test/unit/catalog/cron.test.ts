import {describe, expect, test} from 'vitest'

import {cronProblem} from '../../../src/catalog/cron.js'

describe('cronProblem', () => {
  test.each(['0 2 * * *', '*/15 * * * *', '0 */6 * * 1-5', '0,30 8-18 1,15 1-12 0', '59 23 31 12 7', '0-30/5 0 * * *'])('accepts %s', (expression) => {
    expect(cronProblem(expression)).toBeUndefined()
  })

  test.each([
    ['0 2 * *', 'needs 5 fields (minute hour day-of-month month day-of-week), has 4'],
    ['0 2 * * * *', 'needs 5 fields (minute hour day-of-month month day-of-week), has 6'],
    ['60 * * * *', 'minute 60 is outside 0-59'],
    ['0 24 * * *', 'hour 24 is outside 0-23'],
    ['0 0 0 * *', 'day of month 0 is outside 1-31'],
    ['0 0 * 13 *', 'month 13 is outside 1-12'],
    ['0 0 * * 8', 'day of week 8 is outside 0-7'],
    ['0 0 * * mon', 'day of week "mon" is not a number, range or step'],
    ['@daily', 'needs 5 fields (minute hour day-of-month month day-of-week), has 1'],
    ['*/0 * * * *', 'minute step must be at least 1'],
    ['0 18-8 * * *', 'hour range 18-8 runs backwards'],
  ])('refuses %s: %s', (expression, problem) => {
    expect(cronProblem(expression)).toBe(problem)
  })
})
