import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {openRoute53MemberZone} from '../../../src/providers/aws/private-zone.js'
import {openCloudDnsMemberZone} from '../../../src/providers/gcp/member-zone.js'
import type {MemberAddress} from '../../../src/providers/member-names.js'
import {testEnvironment} from '../../helpers/builders.js'
import {startCloudDnsFake, type CloudDnsFake} from '../../helpers/cloud-dns-fake.js'
import {startMoto, type MotoServer} from '../../helpers/moto.js'
import {findOnPath} from '../../helpers/programs.js'

/**
 * The private zone of the member names (src/providers/member-names.ts) on both clouds: Route 53
 * against moto, read back with the real `aws` CLI; Cloud DNS against the REST fake, read back
 * from the fake's own store (what Cloud DNS would hold), never through our own read().
 */

const DOMAIN = 'mygate-data.svc.clusterset.local.'
const NLB = {r1: 'k8s-mygateda-billingd-1.elb.ap-south-1.amazonaws.com', r2: 'k8s-mygateda-billingd-2.elb.eu-west-1.amazonaws.com'}

describe('Route 53 private hosted zone for the member names (moto)', () => {
  let moto: MotoServer
  let processEnv: NodeJS.ProcessEnv
  const vpcs: Record<string, string> = {}
  const env = testEnvironment({name: 'demo', provider: 'aws', regions: {primary: 'ap-south-1', secondary: 'eu-west-1'}})

  const aws = async (...args: string[]): Promise<Record<string, unknown>> => {
    const binary = findOnPath('aws')
    if (!binary) throw new Error('the aws CLI is not on PATH: install it (these tests check Route 53 with an independent client)')
    const run = await execa(binary, [...args, '--output', 'json'], {env: processEnv, reject: false})
    if (run.exitCode !== 0) throw new Error(`aws ${args.join(' ')}: ${run.stderr}`)
    return run.stdout ? (JSON.parse(run.stdout) as Record<string, unknown>) : {}
  }
  const open = () => openRoute53MemberZone(env, {config: {endpoint: moto.endpoint, credentials: moto.credentials}, syncTimeoutMs: 10_000})
  const zones = async () =>
    ((await aws('route53', 'list-hosted-zones-by-name', '--dns-name', DOMAIN)).HostedZones as Array<{Id: string; Name: string; Config: {PrivateZone: boolean; Comment?: string}}>).filter((z) => z.Name === DOMAIN)
  const records = async (zoneId: string) =>
    ((await aws('route53', 'list-resource-record-sets', '--hosted-zone-id', zoneId)).ResourceRecordSets as Array<{Name: string; Type: string; ResourceRecords?: Array<{Value: string}>}>)
      .filter((r) => r.Type === 'CNAME' || r.Type === 'A')
      .map((r) => `${r.Name} ${r.Type} ${r.ResourceRecords?.[0]?.Value}`)
      .sort()

  beforeAll(async () => {
    moto = await startMoto()
    processEnv = {...process.env, AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_DEFAULT_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true'}
    // The VPCs the provider makes (network.ts): found by the environment's tags.
    for (const [region, cidr] of [['ap-south-1', '10.10.0.0/16'], ['eu-west-1', '10.20.0.0/16']]) {
      const tags = `ResourceType=vpc,Tags=[{Key=mygate.dev/environment,Value=demo},{Key=mygate.dev/region,Value=${region}},{Key=mygate.dev/component,Value=vpc}]`
      const created = await aws('ec2', 'create-vpc', '--cidr-block', cidr, '--region', region, '--tag-specifications', tags)
      vpcs[region] = (created.Vpc as {VpcId: string}).VpcId
    }
    // Another environment's zone of the same name: never touched.
    await aws('ec2', 'create-vpc', '--cidr-block', '10.30.0.0/16', '--region', 'ap-south-1').then(async (other) =>
      aws('route53', 'create-hosted-zone', '--name', DOMAIN, '--caller-reference', 'other-env', '--vpc', `VPCRegion=ap-south-1,VPCId=${(other.Vpc as {VpcId: string}).VpcId}`, '--hosted-zone-config', 'Comment=mygate environment other: replica-set member names,PrivateZone=true'),
    )
  }, 60_000)
  afterAll(async () => {
    await moto?.stop()
  })

  test('env create: a private zone associated with both regions\' VPCs, a CNAME per member to its NLB; a re-run changes nothing', async () => {
    const addresses: MemberAddress[] = [
      {service: 'billing-db-ap-south-1-0', region: 'ap-south-1', address: NLB.r1},
      {service: 'billing-db-eu-west-1-0', region: 'eu-west-1', address: NLB.r2},
    ]
    const zone = await open()
    const first = await zone.ensure(addresses)
    await zone.close()
    expect(first.created).toBe(true)
    expect(first.changed).toHaveLength(2)

    const mine = (await zones()).filter((z) => z.Config.Comment === 'mygate environment demo: replica-set member names')
    expect(mine).toHaveLength(1)
    expect(mine[0].Config.PrivateZone).toBe(true)
    const id = mine[0].Id.replace('/hostedzone/', '')
    const detail = await aws('route53', 'get-hosted-zone', '--id', id)
    expect((detail.VPCs as Array<{VPCId: string; VPCRegion: string}>).map((v) => `${v.VPCRegion} ${v.VPCId}`).sort()).toEqual([`ap-south-1 ${vpcs['ap-south-1']}`, `eu-west-1 ${vpcs['eu-west-1']}`])
    expect(await records(id)).toEqual([`billing-db-ap-south-1-0.${DOMAIN} CNAME ${NLB.r1}.`, `billing-db-eu-west-1-0.${DOMAIN} CNAME ${NLB.r2}.`])

    const again = await open()
    const second = await again.ensure(addresses)
    await again.close()
    expect(second).toMatchObject({created: false, changed: []})
    expect(await zones()).toHaveLength(2)
  })

  test('a member whose load balancer changed is rewritten, a member no longer there is deleted', async () => {
    const zone = await open()
    await zone.ensure([{service: 'billing-db-ap-south-1-0', region: 'ap-south-1', address: 'k8s-new.elb.ap-south-1.amazonaws.com'}])
    await zone.close()
    const id = (await zones()).find((z) => z.Config.Comment?.includes('demo'))!.Id.replace('/hostedzone/', '')
    expect(await records(id)).toEqual([`billing-db-ap-south-1-0.${DOMAIN} CNAME k8s-new.elb.ap-south-1.amazonaws.com.`])
  })

  test('env destroy: records and zone gone, the other environment\'s zone kept; a second remove is a no-op', async () => {
    const zone = await open()
    expect(await zone.remove()).toEqual([expect.stringMatching(/^Route 53 private zone mygate-data\.svc\.clusterset\.local \(\w+\) with 1 member record$/)])
    expect(await zone.remove()).toEqual([])
    await zone.close()
    const left = await zones()
    expect(left.map((z) => z.Config.Comment)).toEqual(['mygate environment other: replica-set member names'])
  })

  test('no VPC of the environment in a region: one clear error naming the region', async () => {
    const other = openRoute53MemberZone(testEnvironment({name: 'novpc', provider: 'aws', regions: {primary: 'ap-south-1', secondary: 'eu-west-1'}}), {config: {endpoint: moto.endpoint, credentials: moto.credentials}})
    const zone = await other
    await expect(zone.ensure([])).rejects.toThrow(/environment novpc has no VPC in ap-south-1/)
    await zone.close()
  })
})

describe('Cloud DNS private zone for the member names (REST fake)', () => {
  let fake: CloudDnsFake
  const env = testEnvironment({name: 'demo', provider: 'gcp', regions: {primary: 'europe-west1', secondary: 'europe-west4'}, gcp: {project: 'mygate-test'}})
  const open = () => openCloudDnsMemberZone(env, {request: fake.request, endpoint: fake.endpoint, pollIntervalMs: 10})
  const held = () =>
    fake.zones
      .get('mygate-demo-members')!
      .records.filter((r) => r.type !== 'SOA' && r.type !== 'NS')
      .map((r) => `${r.name} ${r.type} ${r.ttl} ${r.rrdatas?.join(',')}`)
      .sort()

  beforeAll(async () => {
    fake = await startCloudDnsFake('mygate-test')
  })
  afterAll(async () => {
    await fake?.stop()
  })

  test('env create: a private zone visible to the shared network, an A record per member; a re-run sends no change', async () => {
    const zone = await open()
    const result = await zone.ensure([
      {service: 'billing-db-europe-west1-0', region: 'europe-west1', address: '10.10.0.21'},
      {service: 'billing-db-europe-west4-0', region: 'europe-west4', address: '10.20.0.33'},
    ])
    expect(result).toMatchObject({zone: 'mygate-demo-members', created: true})
    const stored = fake.zones.get('mygate-demo-members')!
    expect(stored).toMatchObject({dnsName: DOMAIN, visibility: 'private', privateVisibilityConfig: {networks: [{networkUrl: 'https://www.googleapis.com/compute/v1/projects/mygate-test/global/networks/mygate-demo'}]}})
    expect(held()).toEqual([`billing-db-europe-west1-0.${DOMAIN} A 60 10.10.0.21`, `billing-db-europe-west4-0.${DOMAIN} A 60 10.20.0.33`])

    const changes = fake.changes.length
    const again = await zone.ensure([
      {service: 'billing-db-europe-west1-0', region: 'europe-west1', address: '10.10.0.21'},
      {service: 'billing-db-europe-west4-0', region: 'europe-west4', address: '10.20.0.33'},
    ])
    expect(again).toMatchObject({created: false, changed: []})
    expect(fake.changes).toHaveLength(changes)
    await zone.close()
  })

  test('an address change is one atomic change: the old set deleted as read, the new one added', async () => {
    const zone = await open()
    await zone.ensure([{service: 'billing-db-europe-west1-0', region: 'europe-west1', address: '10.10.0.21'}, {service: 'billing-db-europe-west4-0', region: 'europe-west4', address: '10.20.0.99'}])
    await zone.close()
    expect(fake.changes.at(-1)).toEqual({
      zone: 'mygate-demo-members',
      deletions: [{name: `billing-db-europe-west4-0.${DOMAIN}`, type: 'A', ttl: 60, rrdatas: ['10.20.0.33']}],
      additions: [{name: `billing-db-europe-west4-0.${DOMAIN}`, type: 'A', ttl: 60, rrdatas: ['10.20.0.99']}],
    })
    expect(held()).toEqual([`billing-db-europe-west1-0.${DOMAIN} A 60 10.10.0.21`, `billing-db-europe-west4-0.${DOMAIN} A 60 10.20.0.99`])
  })

  test('a zone of that name mygate did not make is refused, not changed', async () => {
    const other = testEnvironment({...env, name: 'taken'})
    await fake.request({url: `${fake.endpoint}/projects/mygate-test/managedZones`, method: 'POST', data: {name: 'mygate-taken-members', dnsName: DOMAIN, description: 'someone else', visibility: 'private', privateVisibilityConfig: {networks: [{networkUrl: 'x'}]}}})
    const zone = await openCloudDnsMemberZone(other, {request: fake.request, endpoint: fake.endpoint})
    await expect(zone.ensure([])).rejects.toThrow(/Cloud DNS zone mygate-taken-members exists in project mygate-test but mygate did not make it for environment taken/)
    await expect(zone.remove()).rejects.toThrow(/did not make it/)
    expect(fake.zones.has('mygate-taken-members')).toBe(true)
  })

  test('env destroy: the records, then the zone (Cloud DNS refuses to delete a zone that holds records)', async () => {
    const zone = await open()
    expect(await zone.remove()).toEqual(['Cloud DNS private zone mygate-demo-members (mygate-data.svc.clusterset.local) with 2 member records'])
    expect(fake.zones.has('mygate-demo-members')).toBe(false)
    expect(await zone.remove()).toEqual([])
    await zone.close()
  })
})
