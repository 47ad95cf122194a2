import {describe, expect, test} from 'vitest'

import {createCatalog} from '../../../src/catalog/catalog.js'
import {ACTIVE_ACTIVE_NOTE, planFailover, planLines, stepBatches} from '../../../src/failover/plan.js'
import {planAutomaticFailover} from '../../../src/failover/watch/automatic-plan.js'
import {testService} from '../../helpers/builders.js'

const catalog = createCatalog([
  testService({name: 'billing-db', kind: 'mongodb'}),
  testService({name: 'auth-db', kind: 'mongodb'}),
  testService({name: 'redis', kind: 'redis'}),
  testService({name: 'auth', dependencies: {database: 'auth-db', services: []}}),
  testService({name: 'billing', dependencies: {database: 'billing-db', services: ['auth']}}),
  testService({name: 'gateway', dependencies: {services: ['auth', 'billing']}}),
])
const activeActive = {name: 'aa', regions: {primary: 'a', secondary: 'b'}, drMode: 'active-active' as const}
const warm = {...activeActive, drMode: 'warm-standby' as const}
const ids = (plan: {steps: Array<{id: string; region: string}>}) => plan.steps.map((s) => `${s.id}@${s.region}`)

describe('active-active failover plans', () => {
  test('planned: no scale-up of the target, no standby scale for the source; the source leaves the weighted records; the plan says why', () => {
    const plan = planFailover({spec: activeActive, activeRegion: 'a', catalog, mode: 'planned'})
    expect(ids(plan)).toEqual(['reopen-target@b', 'move-primary:auth-db@b', 'move-primary:billing-db@b', 'redis:redis@b', 'switch-traffic@b', 'verify-gateway@b', 'record-active@b'])
    expect(plan.steps.find((s) => s.kind === 'switch-traffic')?.title).toBe('weighted DNS: b serves, a out of the records (weight 0)')
    expect(plan.notes).toEqual([ACTIVE_ACTIVE_NOTE])
    expect(planLines(plan)).toContain(`  note: ${ACTIVE_ACTIVE_NOTE}`)
  })

  test('forced: the source is fenced first, the survivors forced, and nothing is scaled', () => {
    const plan = planFailover({spec: activeActive, activeRegion: 'a', catalog, mode: 'forced'})
    expect(ids(plan)).toEqual(['fence-source@a', 'reopen-target@b', 'force-primary:auth-db@b', 'force-primary:billing-db@b', 'redis:redis@b', 'switch-traffic@b', 'verify-gateway@b', 'record-active@b'])
  })

  test.each(['planned', 'forced'] as const)('%s with warm standby keeps the scale steps and has no notes', (mode) => {
    const plan = planFailover({spec: warm, activeRegion: 'a', catalog, mode})
    expect(ids(plan)).toContain('scale-target@b')
    expect(ids(plan)).not.toContain('reopen-target@b')
    expect(plan.notes).toBeUndefined()
  })
})

describe('the watch\'s automatic plan', () => {
  test('warm standby, active region lost: scale the survivor, confirm (never move or force) the PRIMARYs, Redis, DNS, verify, record', () => {
    const plan = planAutomaticFailover({spec: warm, catalog, lost: 'a', survivor: 'b'})
    expect(plan).toMatchObject({mode: 'automatic', from: 'a', to: 'b', checks: ['target-cluster'], overrides: []})
    expect(ids(plan)).toEqual(['scale-target@b', 'confirm-primary:auth-db@b', 'confirm-primary:billing-db@b', 'redis:redis@b', 'switch-traffic@b', 'verify-gateway@b', 'record-active@b'])
    const kinds = new Set(plan.steps.map((s) => s.kind))
    for (const kind of ['fence-source', 'force-primary', 'move-primary', 'scale-source'] as const) expect(kinds.has(kind)).toBe(false)
    expect(stepBatches(plan.steps).map((b) => b.length)).toEqual([1, 3, 1, 1, 1])
  })

  test('active-active, the secondary lost: the survivor (already active) keeps serving; only DNS, checks and the record', () => {
    const plan = planAutomaticFailover({spec: activeActive, catalog, lost: 'b', survivor: 'a'})
    expect(ids(plan)).toEqual(['confirm-primary:auth-db@a', 'confirm-primary:billing-db@a', 'redis:redis@a', 'switch-traffic@a', 'verify-gateway@a', 'record-active@a'])
    expect(plan.notes?.[0]).toContain('b was lost and MongoDB elected every PRIMARY in a by itself')
    expect(plan.notes).toContain(ACTIVE_ACTIVE_NOTE)
    expect(planLines(plan)[0]).toBe('Automatic failover of aa: b -> a')
  })
})
