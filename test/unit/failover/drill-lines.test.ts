import {describe, expect, test} from 'vitest'

import {judgeDrill} from '../../../src/failover/drill-report.js'
import type {DrillResult} from '../../../src/failover/drill.js'
import {drillLines} from '../../../src/failover/present.js'
import {testService} from '../../helpers/builders.js'

/**
 * The drill's human report, line by line (the CLI prints exactly these; the README quickstart's
 * own drill is checked end to end in test/cli/readme-quickstart.test.ts).
 */
const billingDb = testService({name: 'billing-db', kind: 'mongodb', criticality: {level: 'critical', rto: '15m', rpo: '1m'}})
const gateway = testService({name: 'gateway', criticality: {level: 'critical', rto: '5m', rpo: '0'}, dependencies: {services: []}})

function drill(outageRtoMs: number): DrillResult {
  const phases = [
    {phase: 'outage', rtoMs: outageRtoMs, lagSeconds: 0.25, rollbacks: []},
    {phase: 'failback', rtoMs: 21_000, lagSeconds: 0, rollbacks: []},
  ]
  return {
    ...judgeDrill([billingDb, gateway], phases),
    environment: 'dr',
    provider: 'local',
    kind: 'outage',
    from: 'west',
    to: 'east',
    steps: [
      {step: 'region-down', startedAt: '2026-12-03T10:00:00.000Z', durationMs: 120, detail: 'west taken down (region outage fault)'},
      {step: 'failback', startedAt: '2026-12-03T10:00:30.000Z', durationMs: 21_000, detail: 'planned east -> west'},
    ],
    runs: ['fo-1', 'fo-2'],
    phases: phases.map(({rollbacks: _rollbacks, ...phase}) => phase),
    fencesApplied: ['west'],
    rollbacks: [{database: 'billing-db', member: 'billing-db-west-0:27017', entries: 3, namespaces: ['billing-db.invoices'], commonPoint: '1700000000:1', lastRolledBack: '1700000001:2'}],
  }
}

describe('drillLines', () => {
  test('a met drill: the route, each step, the rollbacks, a row per service and phase, the Result line', () => {
    expect(drillLines(drill(4100))).toEqual([
      'Drill of dr (local, outage): west -> east -> west',
      '  region-down          120ms  west taken down (region outage fault)',
      '  failback               21s  planned east -> west',
      '  rolled back on billing-db-west-0:27017 (billing-db): 3 writes in billing-db.invoices',
      'outage: RTO 4.1s, replication lag at the switch 250ms',
      '  met    billing-db        RTO    4.1s / 15m   RPO  250ms / 1m',
      '  met    gateway           RTO    4.1s / 5m    RPO    0ms / 0ms',
      'failback: RTO 21s, replication lag at the switch 0ms',
      '  met    billing-db        RTO     21s / 15m   RPO    0ms / 1m',
      '  met    gateway           RTO     21s / 5m    RPO    0ms / 0ms',
      "Result: SUCCESS — every service's RTO and RPO within its targets (runs fo-1, fo-2)",
    ])
  })

  test('a missed target: MISSED on its row, FAILED with the count on the Result line', () => {
    const lines = drillLines(drill(6 * 60_000))
    expect(lines).toContain('  MISSED gateway           RTO      6m / 5m    RPO    0ms / 0ms')
    expect(lines.at(-1)).toBe("Result: FAILED — every service's RTO and RPO missed in 1 case(s) (runs fo-1, fo-2)")
  })
})
