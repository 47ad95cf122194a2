import {describe, expect, test} from 'vitest'

import {memberRecord, needsMemberZone, planMemberRecordChanges, type MemberRecord} from '../../../src/providers/member-names.js'

const NAME = (service: string) => `${service}.mygate-data.svc.clusterset.local.`

describe('member records: one per member, by the shape of its load balancer address', () => {
  test.each([
    ['an IP (gcp internal load balancer)', '10.20.0.9', {type: 'A', value: '10.20.0.9'}],
    ['a hostname (aws NLB)', 'k8s-mygate-billingd-1a2b.elb.eu-west-1.amazonaws.com', {type: 'CNAME', value: 'k8s-mygate-billingd-1a2b.elb.eu-west-1.amazonaws.com.'}],
    ['a hostname already fully qualified', 'lb.example.', {type: 'CNAME', value: 'lb.example.'}],
    ['not an IP: an octet above 255', '10.20.0.300', {type: 'CNAME', value: '10.20.0.300.'}],
  ])('%s', (_what, address, expected) => {
    expect(memberRecord({service: 'billing-db-r2-0', region: 'r2', address})).toEqual({name: NAME('billing-db-r2-0'), ...expected})
  })
})

describe('planMemberRecordChanges: the changes that make the zone hold exactly the desired records', () => {
  const a = (service: string, value: string): MemberRecord => ({name: NAME(service), type: 'A', value})
  const cname = (service: string, value: string): MemberRecord => ({name: NAME(service), type: 'CNAME', value})
  test.each<[string, MemberRecord[], MemberRecord[], {upsert: MemberRecord[]; remove: MemberRecord[]}]>([
    ['empty zone: every record written', [a('db-r1-0', '10.0.0.1'), a('db-r2-0', '10.0.0.2')], [], {upsert: [a('db-r1-0', '10.0.0.1'), a('db-r2-0', '10.0.0.2')], remove: []}],
    ['in shape: nothing', [a('db-r1-0', '10.0.0.1')], [a('db-r1-0', '10.0.0.1')], {upsert: [], remove: []}],
    ['an address changed: that record only', [a('db-r1-0', '10.0.0.1'), a('db-r2-0', '10.0.0.9')], [a('db-r1-0', '10.0.0.1'), a('db-r2-0', '10.0.0.2')], {upsert: [a('db-r2-0', '10.0.0.9')], remove: []}],
    ['a member gone from the topology: deleted', [a('db-r1-0', '10.0.0.1')], [a('db-r1-0', '10.0.0.1'), a('db-r2-2', '10.0.0.5')], {upsert: [], remove: [a('db-r2-2', '10.0.0.5')]}],
    ['type changes (IP -> hostname): old deleted, new written', [cname('db-r1-0', 'nlb.')], [a('db-r1-0', '10.0.0.1')], {upsert: [cname('db-r1-0', 'nlb.')], remove: [a('db-r1-0', '10.0.0.1')]}],
  ])('%s', (_what, desired, existing, expected) => {
    expect(planMemberRecordChanges(desired, existing)).toEqual(expected)
  })
})

describe('needsMemberZone: only where members sit behind cloud load balancers', () => {
  test.each([
    ['aws', 'r2', true],
    ['gcp', 'r2', true],
    ['aws', undefined, false],
    ['local', 'r2', false],
    ['kubeconfig', 'r2', false],
  ] as const)('%s, secondary %s -> %s', (provider, secondary, expected) => {
    expect(needsMemberZone({provider, regions: {primary: 'r1', ...(secondary ? {secondary} : {})}})).toBe(expected)
  })
})
