import {describe, expect, test} from 'vitest'

import {nextCronRun} from '../../../src/catalog/cron-next-run.js'
import {spreadVerifyCron, spreadVerifySchedules} from '../../../src/backup/verify/verify-schedule.js'

describe('the weekly verification schedule: one slot per database, spread over weekdays and night hours', () => {
  test.each([
    [0, '45 2 * * 0'],
    [1, '45 2 * * 1'],
    [6, '45 2 * * 6'],
    [7, '45 3 * * 0'],
    [13, '45 3 * * 6'],
    [27, '45 5 * * 6'],
    // Past 28 databases the slots start over.
    [28, '45 2 * * 0'],
  ])('slot %i -> %s', (slot, cron) => {
    expect(spreadVerifyCron(slot)).toBe(cron)
  })

  test('slots follow the database names, so the order a command lists them in does not matter', () => {
    const spread = spreadVerifySchedules(['visitors-db', 'billing-db', 'community-db', 'billing-db'])
    expect([...spread]).toEqual([
      ['billing-db', '45 2 * * 0'],
      ['community-db', '45 2 * * 1'],
      ['visitors-db', '45 2 * * 2'],
    ])
    expect(spreadVerifySchedules(['community-db', 'visitors-db', 'billing-db'])).toEqual(spread)
  })

  test('the nine bundled-size set of databases never shares a slot, and each runs once a week', () => {
    const names = Array.from({length: 9}, (_, i) => `db-${i}`)
    const crons = [...spreadVerifySchedules(names).values()]
    expect(new Set(crons).size).toBe(9)
    for (const cron of crons) {
      const first = nextCronRun(cron, {after: new Date('2026-12-03T00:00:00Z'), timeZone: 'UTC'})
      const second = nextCronRun(cron, {after: first, timeZone: 'UTC'})
      expect(second.getTime() - first.getTime()).toBe(7 * 86_400_000)
    }
  })
})
