import {describe, expect, test} from 'vitest'

import {memberEgressAnywhere, memberRanges} from '../../../src/providers/member-network.js'
import {testEnvironment} from '../../helpers/builders.js'

const AWS_R1_NLBS = ['10.10.96.0/19', '10.10.128.0/19', '10.10.160.0/19']
const AWS_R2_NLBS = ['10.20.96.0/19', '10.20.128.0/19', '10.20.160.0/19']

describe('memberRanges: what a region\'s member policies admit, from the address plans', () => {
  const two = (provider: 'aws' | 'gcp' | 'local' | 'kubeconfig') => testEnvironment({name: 'demo', provider, regions: {primary: 'r1', secondary: 'r2'}})
  test.each([
    ['aws r1: its own NLBs in; both regions\' NLBs out', 'aws', 'r1', {region: 'r1', ingressFrom: AWS_R1_NLBS, egressTo: [...AWS_R1_NLBS, ...AWS_R2_NLBS]}],
    ['aws r2', 'aws', 'r2', {region: 'r2', ingressFrom: AWS_R2_NLBS, egressTo: [...AWS_R2_NLBS, ...AWS_R1_NLBS]}],
    ['gcp r1: r2\'s Pods in; r2\'s load balancers (node range) out', 'gcp', 'r1', {region: 'r1', ingressFrom: ['10.80.0.0/14'], egressTo: ['10.20.0.0/20']}],
    ['gcp r2', 'gcp', 'r2', {region: 'r2', ingressFrom: ['10.64.0.0/14'], egressTo: ['10.10.0.0/20']}],
    ['local r1: r2\'s Pods in and out (the cluster set routes pod to pod, no NAT)', 'local', 'r1', {region: 'r1', ingressFrom: ['10.245.0.0/16'], egressTo: ['10.245.0.0/16']}],
    ['local r2', 'local', 'r2', {region: 'r2', ingressFrom: ['10.244.0.0/16'], egressTo: ['10.244.0.0/16']}],
    ['kubeconfig: none', 'kubeconfig', 'r1', undefined],
  ] as const)('%s', (_what, provider, region, expected) => {
    expect(memberRanges(two(provider), region)).toEqual(expected)
  })

  test('one region: none; a region the environment lacks is a caller bug', () => {
    expect(memberRanges(testEnvironment({provider: 'aws', regions: {primary: 'r1'}}), 'r1')).toBeUndefined()
    expect(() => memberRanges(two('gcp'), 'r9')).toThrow(/r9 is not a region of environment demo/)
  })

  test('the apps\' policy (one for both regions) may reach every region\'s load balancers, each range once', () => {
    expect(memberEgressAnywhere(two('aws'))).toEqual([...AWS_R1_NLBS, ...AWS_R2_NLBS])
    expect(memberEgressAnywhere(two('gcp'))).toEqual(['10.20.0.0/20', '10.10.0.0/20'])
    expect(memberEgressAnywhere(two('local'))).toEqual(['10.245.0.0/16', '10.244.0.0/16'])
  })
})
