import {describe, expect, test} from 'vitest'

import {createCatalog} from '../../../src/catalog/catalog.js'
import {activeRegionOf, planEnvironment, planLines, summarizePlan} from '../../../src/env/plan.js'
import type {KubeObject} from '../../../src/kube/types.js'
import type {ClusterPlan} from '../../../src/providers/types.js'
import {testEnvironment, testService} from '../../helpers/builders.js'

const catalog = createCatalog([
  testService({name: 'auth-db', kind: 'mongodb'}),
  testService({name: 'auth', dependencies: {database: 'auth-db', services: []}}),
  testService({name: 'visitors', dependencies: {services: ['auth']}}),
  testService({name: 'gateway', dependencies: {services: ['auth', 'visitors']}}),
])

const workload = (name: string, kind: 'Deployment' | 'StatefulSet'): KubeObject => ({apiVersion: 'apps/v1', kind, metadata: {name, namespace: 'mygate'}, spec: {replicas: 3}})
const byService = {
  'auth-db': [workload('auth-db', 'StatefulSet')],
  auth: [workload('auth', 'Deployment')],
  visitors: [workload('visitors', 'Deployment')],
  gateway: [workload('gateway', 'Deployment')],
}
const baseline: KubeObject[] = [{apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'mygate'}}]
const cluster = (region: string, role: 'primary' | 'secondary'): ClusterPlan => ({region, role, clusterName: `demo-${region}`, nodeGroups: [], supportingResources: []})

describe('planEnvironment', () => {
  test('services come in dependency waves: data first, the gateway last', () => {
    const plan = planEnvironment({env: testEnvironment(), catalog, clusters: [cluster('local-1', 'primary')], rendered: {baseline, byService}})
    expect(plan.regions[0].waves.map((wave) => wave.map((w) => w.service))).toEqual([['auth-db'], ['auth'], ['visitors'], ['gateway']])
  })

  test('a pilot-light secondary region runs only the data services', () => {
    const env = testEnvironment({regions: {primary: 'a', secondary: 'b'}, drMode: 'pilot-light'})
    const plan = planEnvironment({env, catalog, clusters: [cluster('a', 'primary'), cluster('b', 'secondary')], rendered: {baseline, byService}})
    expect(plan.regions[1].scale).toBe('pilot-light')
    expect(plan.regions[1].waves.map((wave) => wave.map((w) => w.service))).toEqual([['auth-db']])
  })

  test('a warm-standby secondary runs every service at one app replica', () => {
    const env = testEnvironment({regions: {primary: 'a', secondary: 'b'}, drMode: 'warm-standby'})
    const plan = planEnvironment({env, catalog, clusters: [cluster('a', 'primary'), cluster('b', 'secondary')], rendered: {baseline, byService}})
    const gateway = plan.regions[1].waves.flat().find((w) => w.service === 'gateway')!
    expect((gateway.objects[0].spec as {replicas: number}).replicas).toBe(1)
    const db = plan.regions[1].waves.flat().find((w) => w.service === 'auth-db')!
    expect((db.objects[0].spec as {replicas: number}).replicas).toBe(3)
  })

  // Issue 13: after a failover env diff found the new active region "missing" the databases'
  // disruption budgets: env create had left them out of the standby, and failover moves only apps.
  test.each(['warm-standby', 'pilot-light'] as const)('a %s standby keeps the data services\' disruption budgets and drops the apps\'', (drMode) => {
    const pdb = (name: string): KubeObject => ({apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: {name, namespace: 'mygate'}, spec: {maxUnavailable: 1}})
    const withBudgets = {...byService, 'auth-db': [...byService['auth-db'], pdb('auth-db')], auth: [...byService.auth, pdb('auth')]}
    const env = testEnvironment({regions: {primary: 'a', secondary: 'b'}, drMode})
    for (const activeRegion of ['a', 'b']) {
      const plan = planEnvironment({env, catalog, clusters: [cluster('a', 'primary'), cluster('b', 'secondary')], rendered: {baseline, byService: withBudgets}, activeRegion})
      const budgets = (region: string) =>
        plan.regions
          .find((r) => r.region === region)!
          .waves.flat()
          .flatMap((w) => w.objects)
          .filter((o) => o.kind === 'PodDisruptionBudget')
          .map((o) => o.metadata.name)
      const standby = activeRegion === 'a' ? 'b' : 'a'
      expect(budgets(activeRegion)).toEqual(['auth-db', 'auth'])
      expect(budgets(standby)).toEqual(['auth-db'])
    }
  })

  // Issue 11: after a failover the record's active region is the configured secondary; a re-run
  // of env create must keep it at full scale, not shrink it to standby by regions.primary.
  test.each([
    {activeRegion: undefined, full: 'a', standby: 'b'},
    {activeRegion: 'a', full: 'a', standby: 'b'},
    {activeRegion: 'b', full: 'b', standby: 'a'},
    {activeRegion: 'gone', full: 'a', standby: 'b'},
  ])('the active region ($activeRegion) runs at full scale, the other at standby', ({activeRegion, full, standby}) => {
    const env = testEnvironment({regions: {primary: 'a', secondary: 'b'}, drMode: 'pilot-light'})
    const plan = planEnvironment({env, catalog, clusters: [cluster('a', 'primary'), cluster('b', 'secondary')], rendered: {baseline, byService}, activeRegion})
    const region = (name: string) => plan.regions.find((r) => r.region === name)!
    expect(region(full).scale).toBe('full')
    expect(region(full).waves.flat().map((w) => w.service)).toContain('gateway')
    expect(region(standby).scale).toBe('pilot-light')
    expect(region(standby).waves.flat().map((w) => w.service)).toEqual(['auth-db'])
  })

  test.each([
    [undefined, 'a'],
    ['b', 'b'],
    ['c', 'a'],
  ])('activeRegionOf(recorded %s) is %s', (recorded, expected) => {
    expect(activeRegionOf({regions: {primary: 'a', secondary: 'b'}}, recorded)).toBe(expected)
  })

  test('an active-active secondary serves through weighted DNS, so it runs at full scale', () => {
    const env = testEnvironment({regions: {primary: 'a', secondary: 'b'}, drMode: 'active-active'})
    const plan = planEnvironment({env, catalog, clusters: [cluster('a', 'primary'), cluster('b', 'secondary')], rendered: {baseline, byService}})
    expect(plan.regions[1].scale).toBe('full')
    const gateway = plan.regions[1].waves.flat().find((w) => w.service === 'gateway')!
    expect((gateway.objects[0].spec as {replicas: number}).replicas).toBe(3)
  })

  test('the summary and the dry-run lines name clusters, namespaces and waves', () => {
    const summary = summarizePlan(planEnvironment({env: testEnvironment(), catalog, clusters: [cluster('local-1', 'primary')], rendered: {baseline, byService}}))
    expect(summary.regions[0]).toMatchObject({namespaces: ['mygate'], baselineObjects: 1, objects: 5})
    const lines = planLines(summary)
    expect(lines).toContain('  cluster demo-local-1 [primary, region local-1]')
    expect(lines).toContain('    5. services: gateway')
  })
})
