import {describe, expect, test} from 'vitest'

import {directConnection, replicaSetConnection} from '../../../src/db/connection.js'
import {replicaSetTopology} from '../../../src/db/topology.js'
import type {Tier} from '../../../src/catalog/types.js'
import {testEnvironment, testService} from '../../helpers/builders.js'

const billingDb = (replicas: number) =>
  testService({name: 'billing-db', kind: 'mongodb', port: 27017, tiers: {dev: {replicas: 1, resources: {requests: {cpu: '1', memory: '1Gi'}, limits: {cpu: '1', memory: '1Gi'}}}, staging: {replicas, resources: {requests: {cpu: '1', memory: '1Gi'}, limits: {cpu: '1', memory: '1Gi'}}}, prod: {replicas, resources: {requests: {cpu: '1', memory: '1Gi'}, limits: {cpu: '1', memory: '1Gi'}}}}})

describe('replicaSetTopology', () => {
  test('one region: headless Service names, everyone votes at priority 2', () => {
    const topology = replicaSetTopology(billingDb(3), testEnvironment({tier: 'prod', regions: {primary: 'r1'}}))
    expect(topology.set).toBe('billing-db')
    expect(topology.members).toEqual([0, 1, 2].map((i) => ({host: `billing-db-${i}.billing-db.mygate-data.svc.cluster.local:27017`, region: 'r1', ordinal: i, pod: `billing-db-${i}`, priority: 2, votes: 1})))
  })

  test('two regions, prod: clusterset names for every member; the primary region holds a strict majority', () => {
    const topology = replicaSetTopology(billingDb(3), testEnvironment({tier: 'prod', regions: {primary: 'r1', secondary: 'r2'}}))
    expect(topology.members.map((m) => [m.host, m.memberService, m.priority, m.votes])).toEqual([
      ['billing-db-r1-0.mygate-data.svc.clusterset.local:27017', 'billing-db-r1-0', 2, 1],
      ['billing-db-r1-1.mygate-data.svc.clusterset.local:27017', 'billing-db-r1-1', 2, 1],
      ['billing-db-r1-2.mygate-data.svc.clusterset.local:27017', 'billing-db-r1-2', 2, 1],
      ['billing-db-r2-0.mygate-data.svc.clusterset.local:27017', 'billing-db-r2-0', 1, 1],
      ['billing-db-r2-1.mygate-data.svc.clusterset.local:27017', 'billing-db-r2-1', 1, 1],
      ['billing-db-r2-2.mygate-data.svc.clusterset.local:27017', 'billing-db-r2-2', 0, 0],
    ])
  })

  test.each<[string, Tier, number, number, number, number]>([
    // name, tier, replicas per region, primary-region voters, secondary-region voters, total voters
    ['dev: one member each', 'dev', 1, 1, 0, 1],
    ['two members each', 'staging', 2, 2, 1, 3],
    ['three members each', 'prod', 3, 3, 2, 5],
    ['five members each: capped at 7 voters', 'prod', 5, 4, 3, 7],
  ])('two regions, %s: the primary region alone is a majority, the secondary alone is not', (_name, tier, replicas, primaryVoters, secondaryVoters, total) => {
    const topology = replicaSetTopology(billingDb(replicas), testEnvironment({tier, regions: {primary: 'r1', secondary: 'r2'}}))
    const voters = (region: string) => topology.members.filter((m) => m.region === region && m.votes === 1).length
    expect([voters('r1'), voters('r2'), voters('r1') + voters('r2')]).toEqual([primaryVoters, secondaryVoters, total])
    const majority = Math.floor(total / 2) + 1
    expect(voters('r1')).toBeGreaterThanOrEqual(majority)
    expect(voters('r2')).toBeLessThan(majority)
    // MongoDB: a non-voting member must have priority 0.
    expect(topology.members.filter((m) => m.votes === 0).every((m) => m.priority === 0)).toBe(true)
  })
})

describe('connection strings', () => {
  test.each([
    [directConnection('a.b:27017'), 'mongodb://a.b:27017/?directConnection=true'],
    [replicaSetConnection('rs', ['a:1', 'b:2']), 'mongodb://a:1,b:2/?replicaSet=rs'],
    [replicaSetConnection('rs', ['a:1'], {readPreference: 'primaryPreferred'}), 'mongodb://a:1/?replicaSet=rs&readPreference=primaryPreferred'],
  ])('%s', (built, expected) => expect(built).toBe(expected))

  test.each(['root:pw@a:1', 'a', 'a:1/db'])('refuses %s as a host', (host) => {
    expect(() => directConnection(host)).toThrow(`not a host:port: ${host}`)
  })
  test('a seed list needs members', () => expect(() => replicaSetConnection('rs', [])).toThrow('replica set rs has no members'))
})
