import {describe, expect, test} from 'vitest'

import type {ProviderName} from '../../../src/config/types.js'
import {memberEndpoint} from '../../../src/providers/member-load-balancer.js'
import {testEnvironment} from '../../helpers/builders.js'

const AWS_INTERNAL_NLB = (region: string) => ({
  'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
  'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
  'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
  'service.beta.kubernetes.io/aws-load-balancer-security-groups': `mygate-demo-${region}-db-lb`,
  'service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules': 'true',
  'service.beta.kubernetes.io/aws-load-balancer-attributes': 'load_balancing.cross_zone.enabled=true',
  // Off: mongod reaches itself through its own NLB (no NAT loopback with preservation on).
  'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes': 'preserve_client_ip.enabled=false',
  'service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags': `mygate.dev/environment=demo,mygate.dev/region=${region}`,
})
const GKE_INTERNAL_GLOBAL = {
  'networking.gke.io/load-balancer-type': 'Internal',
  'networking.gke.io/internal-load-balancer-allow-global-access': 'true',
}

const twoRegions = (provider: ProviderName, primary: string, secondary: string) =>
  testEnvironment({name: 'demo', provider, regions: {primary, secondary}})

describe('memberEndpoint: how a replica-set member is reached from the other cluster', () => {
  test.each([
    ['aws', 'eu-west-1', 'us-east-2', {kind: 'load-balancer', annotations: AWS_INTERNAL_NLB('eu-west-1')}, {kind: 'load-balancer', annotations: AWS_INTERNAL_NLB('us-east-2')}],
    // externalTrafficPolicy Local: the member sees the client's address, which its NetworkPolicy admits by range.
    ['gcp', 'europe-west1', 'us-central1', {kind: 'load-balancer', annotations: GKE_INTERNAL_GLOBAL, externalTrafficPolicy: 'Local'}, {kind: 'load-balancer', annotations: GKE_INTERNAL_GLOBAL, externalTrafficPolicy: 'Local'}],
    ['local', 'local-1', 'local-2', {kind: 'none', reason: expect.stringMatching(/local control plane routes/)}, {kind: 'none', reason: expect.any(String)}],
    ['kubeconfig', 'west', 'east', {kind: 'none', reason: expect.stringMatching(/user-owned/)}, {kind: 'none', reason: expect.any(String)}],
  ] as const)('%s, two regions', (provider, primary, secondary, inPrimary, inSecondary) => {
    const env = twoRegions(provider, primary, secondary)
    expect(memberEndpoint(env, primary)).toEqual(inPrimary)
    expect(memberEndpoint(env, secondary)).toEqual(inSecondary)
  })

  test.each(['aws', 'gcp', 'local', 'kubeconfig'] as const)('%s, one region: no load balancer', (provider) => {
    const env = testEnvironment({provider, regions: {primary: 'eu-west-1'}})
    expect(memberEndpoint(env, 'eu-west-1')).toEqual({kind: 'none', reason: 'one region: members reach each other inside the cluster'})
  })

  test('the aws annotations name the security group mygate creates in that region', () => {
    const endpoint = memberEndpoint(twoRegions('aws', 'eu-west-1', 'us-east-2'), 'us-east-2')
    expect(endpoint.kind === 'load-balancer' && endpoint.annotations['service.beta.kubernetes.io/aws-load-balancer-security-groups']).toBe(
      'mygate-demo-us-east-2-db-lb',
    )
  })

  test('a region the environment does not have is a bug in the caller', () => {
    expect(() => memberEndpoint(twoRegions('aws', 'eu-west-1', 'us-east-2'), 'ap-south-1')).toThrow(/ap-south-1 is not a region of environment demo/)
  })
})
