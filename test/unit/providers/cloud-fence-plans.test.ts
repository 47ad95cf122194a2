import type {SecurityGroupRule} from '@aws-sdk/client-ec2'
import {describe, expect, test} from 'vitest'

import {GATEWAY_LISTEN_PORTS, permissionOf, ruleMatches, rulesAdmittingPorts} from '../../../src/providers/aws/fence.js'
import {planGcpNetwork} from '../../../src/providers/gcp/address-plan.js'
import {denyFirewallBody, denyFirewallPart, groupInRegion, servesGateway} from '../../../src/providers/gcp/fence.js'
import {testEnvironment} from '../../helpers/builders.js'

const rule = (overrides: Partial<SecurityGroupRule>): SecurityGroupRule => ({SecurityGroupRuleId: 'sgr-1', GroupId: 'sg-1', IsEgress: false, IpProtocol: 'tcp', ...overrides})
const DATABASE = [27017, 6379]

describe('aws: which ingress rules the fence revokes', () => {
  test.each([
    ['MongoDB from the other VPC', rule({FromPort: 27017, ToPort: 27017, CidrIpv4: '10.20.0.0/16'}), DATABASE, true],
    ['Redis', rule({FromPort: 6379, ToPort: 6379, CidrIpv4: '10.10.0.0/16'}), DATABASE, true],
    ['a range covering the port', rule({FromPort: 0, ToPort: 65535, CidrIpv4: '10.0.0.0/8'}), [443], true],
    ['all traffic', rule({IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv4: '0.0.0.0/0'}), [443], true],
    ['another port', rule({FromPort: 22, ToPort: 22, CidrIpv4: '10.99.0.0/16'}), DATABASE, false],
    ['udp on the port', rule({IpProtocol: 'udp', FromPort: 6379, ToPort: 6379, CidrIpv4: '10.10.0.0/16'}), DATABASE, false],
    ['egress on the port', rule({IsEgress: true, FromPort: 443, ToPort: 443, CidrIpv4: '0.0.0.0/0'}), [443], false],
    ['HTTP on the gateway ALB', rule({FromPort: 80, ToPort: 80, CidrIpv4: '0.0.0.0/0'}), [...GATEWAY_LISTEN_PORTS], true],
  ])('%s -> revoked: %s', (_label, live, ports, revoked) => {
    expect(rulesAdmittingPorts([live], ports, 'x')).toHaveLength(revoked ? 1 : 0)
  })

  test('a recorded rule authorizes exactly what was there, and matches it again once restored (new id)', () => {
    const [part] = rulesAdmittingPorts([rule({FromPort: 27017, ToPort: 27017, CidrIpv4: '10.20.0.0/16', Description: 'MongoDB from us-east-2'})], DATABASE, 'database')
    expect(part).toEqual({kind: 'ingress-rule', groupId: 'sg-1', purpose: 'database', protocol: 'tcp', fromPort: 27017, toPort: 27017, cidrIpv4: '10.20.0.0/16', description: 'MongoDB from us-east-2'})
    expect(permissionOf(part)).toEqual({IpProtocol: 'tcp', FromPort: 27017, ToPort: 27017, IpRanges: [{CidrIp: '10.20.0.0/16', Description: 'MongoDB from us-east-2'}]})
    expect(ruleMatches(rule({SecurityGroupRuleId: 'sgr-new', FromPort: 27017, ToPort: 27017, CidrIpv4: '10.20.0.0/16'}), part)).toBe(true)
    expect(ruleMatches(rule({FromPort: 27017, ToPort: 27017, CidrIpv4: '10.10.0.0/16'}), part)).toBe(false)
    expect(ruleMatches(rule({GroupId: 'sg-2', FromPort: 27017, ToPort: 27017, CidrIpv4: '10.20.0.0/16'}), part)).toBe(false)
  })

  test('a rule from a security group is restored as a group pair; all-traffic without ports', () => {
    const [fromGroup, all] = rulesAdmittingPorts(
      [rule({FromPort: 80, ToPort: 80, ReferencedGroupInfo: {GroupId: 'sg-lb'}}), rule({IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv6: '::/0'})],
      [80],
      'gateway load balancer',
    )
    expect(permissionOf(fromGroup)).toEqual({IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{GroupId: 'sg-lb'}]})
    expect(permissionOf(all)).toEqual({IpProtocol: '-1', Ipv6Ranges: [{CidrIpv6: '::/0'}]})
  })
})

describe('gcp: the deny rule and the gateway backends', () => {
  const env = testEnvironment({name: 'demo', provider: 'gcp', regions: {primary: 'europe-west1', secondary: 'us-central1-a'}, gcp: {project: 'mygate-unit-project'}})

  test.each([
    ['europe-west1', ['10.10.0.0/20', '10.64.0.0/14']],
    ['us-central1-a', ['10.20.0.0/20', '10.80.0.0/14']],
  ])('%s: deny all ingress at priority 0 to its node and Pod ranges', (location, ranges) => {
    const part = denyFirewallPart('demo', 'mygate-unit-project', planGcpNetwork(env), location)
    expect(part).toEqual({kind: 'deny-firewall', name: `mygate-demo-${location}-fence`, network: 'projects/mygate-unit-project/global/networks/mygate-demo', destinationRanges: ranges, priority: 0})
    expect(denyFirewallBody(part, 'demo')).toMatchObject({direction: 'INGRESS', priority: 0, denied: [{IPProtocol: 'all'}], sourceRanges: ['0.0.0.0/0'], destinationRanges: ranges})
  })

  test.each([
    ['https://www.googleapis.com/compute/v1/projects/p/zones/europe-west1-b/networkEndpointGroups/neg', 'europe-west1', true],
    ['https://www.googleapis.com/compute/v1/projects/p/zones/europe-west1-b/networkEndpointGroups/neg', 'europe-west2', false],
    ['https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a/instanceGroups/ig', 'us-central1', true],
    [undefined, 'europe-west1', false],
  ])('backend group %s in region %s: %s', (group, region, inside) => {
    expect(groupInRegion(group, region)).toBe(inside)
  })

  test.each([
    ['{"kubernetes.io/service-name":"mygate/gateway","kubernetes.io/service-port":"8080"}', true],
    ['{"kubernetes.io/service-name":"mygate/visitors"}', false],
    ['not json', false],
    [undefined, false],
  ])('backend service described %s serves the gateway: %s', (description, serves) => {
    expect(servesGateway({description})).toBe(serves)
  })
})
