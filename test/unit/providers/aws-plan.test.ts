import {describe, expect, test} from 'vitest'

import {boundedName} from '../../../src/providers/naming.js'
import {planAwsClusters} from '../../../src/providers/aws/plan.js'
import {testEnvironment, testService} from '../../helpers/builders.js'

const env = testEnvironment({name: 'demo', provider: 'aws', tier: 'prod', regions: {primary: 'eu-west-1', secondary: 'eu-central-1'}})
const spotable = testService({name: 'visitors', spot: true})
const criticalSpot = testService({name: 'payments', spot: true, criticality: {level: 'critical', rto: '5m', rpo: '1m'}})

const groups = (plan: ReturnType<typeof planAwsClusters>[number]) => plan.nodeGroups.map((group) => `${group.name}:${group.capacity}:${group.desiredSize}`)

describe('planAwsClusters', () => {
  test('one cluster per region, deterministic names, network and roles listed', () => {
    const [primary, secondary] = planAwsClusters(env, [spotable])
    expect(primary).toMatchObject({region: 'eu-west-1', role: 'primary', clusterName: 'mygate-demo-eu-west-1', kubernetesVersion: '1.31'})
    expect(secondary).toMatchObject({region: 'eu-central-1', role: 'secondary', clusterName: 'mygate-demo-eu-central-1'})
    expect(primary.supportingResources).toEqual([
      'VPC 10.10.0.0/16 with public and private subnets in up to 3 availability zones (an existing VPC keeps its range)',
      'internet gateway and route tables',
      'VPC peering with eu-central-1 (requested here, accepted in eu-central-1); routes to 10.20.0.0/16 through it',
      'security group mygate-demo-eu-west-1-db-lb for the per-member database load balancers: TCP 27017 (MongoDB), 6379 (Redis) from 10.10.0.0/16 and 10.20.0.0/16',
      "Route 53 private hosted zone mygate-data.svc.clusterset.local for the members' names, associated with both regions' VPCs",
      'IAM role mygate-demo-eu-west-1-cluster',
      'IAM role mygate-demo-eu-west-1-node',
    ])
    expect(secondary.supportingResources.slice(0, 4)).toEqual([
      'VPC 10.20.0.0/16 with public and private subnets in up to 3 availability zones (an existing VPC keeps its range)',
      'internet gateway and route tables',
      'VPC peering with eu-west-1 (accepted here); routes to 10.10.0.0/16 through it',
      'security group mygate-demo-eu-central-1-db-lb for the per-member database load balancers: TCP 27017 (MongoDB), 6379 (Redis) from 10.10.0.0/16 and 10.20.0.0/16',
    ])
  })

  test('one region: its VPC, no peering and no database security group', () => {
    const [only] = planAwsClusters({...env, regions: {primary: 'eu-west-1'}})
    expect(only.supportingResources.filter((line) => /peering|security group/.test(line))).toEqual([])
  })

  test.each([
    ['no descriptors', undefined, ['ng-on-demand:on-demand:3']],
    ['a spot-allowed service', [spotable], ['ng-on-demand:on-demand:3', 'ng-spot:spot:3']],
    ['only a critical service that allows spot', [criticalSpot], ['ng-on-demand:on-demand:3']],
  ])('primary node groups with %s', (_label, services, expected) => {
    expect(groups(planAwsClusters(env, services)[0])).toEqual(expected)
  })

  test('a warm-standby secondary runs at the group minimum; pilot light has no spot group', () => {
    expect(groups(planAwsClusters(env, [spotable])[1])).toEqual(['ng-on-demand:on-demand:3', 'ng-spot:spot:2'])
    expect(groups(planAwsClusters({...env, drMode: 'pilot-light'}, [spotable])[1])).toEqual(['ng-on-demand:on-demand:3'])
  })

  test('named subnets and roles replace what mygate would create in the primary', () => {
    const named = {...env, aws: {subnetIds: ['subnet-a'], clusterRoleArn: 'arn:c', nodeRoleArn: 'arn:n', kubernetesVersion: '1.30'}}
    const [primary, secondary] = planAwsClusters(named)
    // The named subnets' VPC is not made by mygate, but the secondary is still linked to it.
    expect(primary.supportingResources).toEqual([
      "VPC peering with eu-central-1 (requested here, accepted in eu-central-1); routes to 10.20.0.0/16 through it",
      "security group mygate-demo-eu-west-1-db-lb for the per-member database load balancers: TCP 27017 (MongoDB), 6379 (Redis) from the range of the named subnets' VPC and 10.20.0.0/16",
      "Route 53 private hosted zone mygate-data.svc.clusterset.local for the members' names, associated with both regions' VPCs",
    ])
    expect(primary.kubernetesVersion).toBe('1.30')
    expect(secondary.supportingResources[2]).toBe("VPC peering with eu-west-1 (accepted here); routes to the range of the named subnets' VPC through it")
    expect(secondary.supportingResources).toHaveLength(4)
  })

  test('IAM role names stay within 64 characters and unique', () => {
    const long = boundedName(`mygate-${'x'.repeat(60)}-ap-southeast-1-cluster`, 64)
    expect(long).toHaveLength(64)
    expect(long).not.toBe(boundedName(`mygate-${'x'.repeat(60)}-ap-southeast-2-cluster`, 64))
  })
})
