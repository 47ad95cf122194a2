import {describe, expect, test} from 'vitest'

import {judgeGatewayServes, type GatewayEvidence} from '../../../src/traffic-dns/gateway-serves.js'

const pass = {verdict: 'pass' as const, reason: 'error rate 0.001 <= 0.01 for gateway'}
const good: GatewayEvidence = {region: 'b', deployment: {replicas: 3, readyReplicas: 3, generation: 4, observedGeneration: 4}, expectedReplicas: 3, errorRate: pass, dnsActive: ['b']}

describe('the gateway serves in a region (pure verdict)', () => {
  test.each<[string, Partial<GatewayEvidence>, boolean, string]>([
    ['everything in place', {}, true, 'the gateway serves in b'],
    ['weighted DNS answering both regions counts', {dnsActive: ['a', 'b']}, true, 'the gateway serves in b'],
    ['no gateway Deployment (pilot light not scaled up)', {deployment: undefined}, false, 'no gateway Deployment in b'],
    ['still at standby scale', {deployment: {replicas: 1, readyReplicas: 1}}, false, 'gateway in b: 1/3 ready (spec 1)'],
    ['scaled but not ready yet', {deployment: {replicas: 3, readyReplicas: 2}}, false, 'gateway in b: 2/3 ready (spec 3)'],
    ['a spec the controller has not seen yet', {deployment: {replicas: 3, readyReplicas: 3, generation: 5, observedGeneration: 4}}, false, 'the latest spec is not observed yet'],
    ['errors above the threshold', {errorRate: {verdict: 'fail', reason: 'error rate 0.2 > 0.01 for gateway'}}, false, 'error rate 0.2 > 0.01 for gateway'],
    ['no traffic data is not a pass', {errorRate: {verdict: 'inconclusive', reason: 'error rate: no data for gateway'}}, false, 'error rate: no data for gateway'],
    ['DNS still answers with the old region', {dnsActive: ['a']}, false, 'DNS answers with a, not b'],
    ['DNS unreadable fails closed', {dnsActive: undefined, dnsError: 'Route 53 timed out'}, false, 'DNS could not be read: Route 53 timed out'],
  ])('%s', (_case, change, serves, reason) => {
    const verdict = judgeGatewayServes({...good, ...change})
    expect(verdict.serves).toBe(serves)
    expect(verdict.reason).toContain(reason)
    expect(verdict.checks.map((c) => c.name)).toEqual(['pods', 'error-rate', 'dns'])
  })

  test('several failures are all named', () => {
    const verdict = judgeGatewayServes({...good, deployment: undefined, dnsActive: ['a']})
    expect(verdict.reason).toBe('no gateway Deployment in b; DNS answers with a, not b')
  })
})
