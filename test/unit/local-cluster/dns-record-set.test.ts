import {describe, expect, test} from 'vitest'

import {answeringRegions, recordSetProblem, type LocalDnsRecordSet, type LocalDnsRegionRecord} from '../../../src/local-cluster/dns/record-set.js'

const record = (region: string, over: Partial<LocalDnsRegionRecord> = {}): LocalDnsRegionRecord => ({
  region,
  cluster: `demo-${region}`,
  role: region === 'a' ? 'primary' : 'secondary',
  weight: 100,
  withdrawn: false,
  ...over,
})
const set = (mode: LocalDnsRecordSet['mode'], regions: LocalDnsRegionRecord[]): LocalDnsRecordSet => ({name: 'demo.mygate.local', mode, regions})
const down = (...regions: string[]) => (r: LocalDnsRegionRecord) => !regions.includes(r.region)

describe('which regions the local DNS table answers with (Route 53 rules)', () => {
  test.each<[string, LocalDnsRecordSet, (r: LocalDnsRegionRecord) => boolean, string[]]>([
    ['failover: healthy PRIMARY answers', set('failover', [record('a'), record('b')]), down(), ['a']],
    ['failover: PRIMARY down, SECONDARY answers', set('failover', [record('a'), record('b')]), down('a'), ['b']],
    ['failover: both down, Route 53 answers the PRIMARY', set('failover', [record('a'), record('b')]), down('a', 'b'), ['a']],
    ['failover: a withdrawn PRIMARY never answers', set('failover', [record('a', {withdrawn: true}), record('b')]), down('b'), ['b']],
    ['failover: everything withdrawn, no answer', set('failover', [record('a', {withdrawn: true}), record('b', {withdrawn: true})]), down(), []],
    ['weighted: both healthy, both answer', set('weighted', [record('a'), record('b')]), down(), ['a', 'b']],
    ['weighted: one down, the other answers', set('weighted', [record('a'), record('b')]), down('a'), ['b']],
    ['weighted: non-zero down, healthy zero-weight answers', set('weighted', [record('a'), record('b', {weight: 0})]), down('a'), ['b']],
    ['weighted: zero weight stays out while a non-zero one is healthy', set('weighted', [record('a'), record('b', {weight: 0})]), down(), ['a']],
    ['weighted: all unhealthy, the non-zero ones answer as if healthy', set('weighted', [record('a'), record('b', {weight: 0})]), down('a', 'b'), ['a']],
    ['weighted: a withdrawn region stays out even when the other is down', set('weighted', [record('a'), record('b', {weight: 0, withdrawn: true})]), down('a'), ['a']],
  ])('%s', (_case, recordSet, healthy, expected) => {
    expect(answeringRegions(recordSet, healthy)).toEqual(expected)
  })

  test.each<[string, unknown, string | undefined]>([
    ['a good set', set('failover', [record('a'), record('b')]), undefined],
    ['two primaries', set('failover', [record('a'), record('b', {role: 'primary'})]), 'a failover set has one primary'],
    ['a weight over 255', set('weighted', [record('a', {weight: 256})]), 'region a: weight must be 0-255'],
    ['no regions', set('weighted', []), 'regions must be a non-empty list'],
    ['a bad name', {...set('weighted', [record('a')]), name: 'Demo!'}, 'name must be a DNS name'],
  ])('record set check: %s', (_case, value, problem) => {
    expect(recordSetProblem(value)).toBe(problem)
  })
})
