import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {openTrafficFor, type EnvironmentTraffic} from '../../../src/traffic-dns/environment-traffic.js'
import {testEnvironment} from '../../helpers/builders.js'
import {startMoto, type MotoServer} from '../../helpers/moto.js'
import {findOnPath} from '../../helpers/programs.js'

/**
 * Route 53 through the traffic interface against moto_server; every check reads Route 53 back
 * with the real `aws` CLI (an independent client), never through our own describe().
 */
interface RecordSet {
  Name: string
  Type: string
  SetIdentifier?: string
  Failover?: string
  Weight?: number
  HealthCheckId?: string
  ResourceRecords?: Array<{Value: string}>
}

const ZONE = 'example.com'
const EP = {r1: 'k8s-mygate-gateway-1.ap-south-1.elb.amazonaws.com', r2: 'k8s-mygate-gateway-2.ap-south-2.elb.amazonaws.com'}

describe('Route 53 failover and weighted records (moto)', () => {
  let moto: MotoServer
  let env: NodeJS.ProcessEnv
  let zoneId: string

  const aws = async (...args: string[]): Promise<Record<string, unknown>> => {
    const binary = findOnPath('aws')
    if (!binary) throw new Error('the aws CLI is not on PATH: install it (these tests check Route 53 with an independent client)')
    const run = await execa(binary, [...args, '--output', 'json'], {env, reject: false})
    if (run.exitCode !== 0) throw new Error(`aws ${args.join(' ')}: ${run.stderr}`)
    return run.stdout ? (JSON.parse(run.stdout) as Record<string, unknown>) : {}
  }
  const cnames = async (name: string): Promise<RecordSet[]> =>
    ((await aws('route53', 'list-resource-record-sets', '--hosted-zone-id', zoneId)).ResourceRecordSets as RecordSet[]).filter((r) => r.Name === `${name}.` && r.Type === 'CNAME')
  const view = (records: RecordSet[]) =>
    Object.fromEntries(records.map((r) => [r.SetIdentifier, `${r.ResourceRecords?.[0]?.Value} ${r.Failover ?? `weight ${r.Weight}`}${r.HealthCheckId ? ' +hc' : ''}`]))
  const healthChecks = async () =>
    (await aws('route53', 'list-health-checks')).HealthChecks as Array<{Id: string; HealthCheckConfig: {FullyQualifiedDomainName: string; Type: string; ResourcePath: string; Port: number}}>

  const open = (name: string, drMode: 'warm-standby' | 'active-active' = 'warm-standby'): Promise<EnvironmentTraffic> =>
    openTrafficFor(
      {spec: testEnvironment({name, provider: 'aws', regions: {primary: 'r1', secondary: 'r2'}, drMode, dns: {zone: ZONE, name: `${name}.${ZONE}`}}), activeRegion: 'r1'},
      {aws: {config: {endpoint: moto.endpoint, credentials: moto.credentials}, syncTimeoutMs: 10_000}},
    )

  beforeAll(async () => {
    moto = await startMoto()
    env = {...process.env, AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey, AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true'}
    const created = await aws('route53', 'create-hosted-zone', '--name', ZONE, '--caller-reference', 'mygate-test')
    zoneId = String((created.HostedZone as {Id: string}).Id).replace('/hostedzone/', '')
  }, 60_000)
  afterAll(async () => {
    await moto?.stop()
  })

  test('failover: health checks per entry point, PRIMARY/SECONDARY records; switch swaps them; withdraw and restore; destroy removes records and checks, not the zone', async () => {
    const traffic = await open('app')
    await traffic.ensureRecords([{region: 'r1', endpoint: EP.r1, healthPath: '/ready'}, {region: 'r2', endpoint: EP.r2, healthPath: '/ready'}])
    expect(view(await cnames('app.example.com'))).toEqual({r1: `${EP.r1} PRIMARY +hc`, r2: `${EP.r2} SECONDARY +hc`})
    const checks = await healthChecks()
    expect(checks.map((c) => [c.HealthCheckConfig.FullyQualifiedDomainName, c.HealthCheckConfig.Type, c.HealthCheckConfig.Port, c.HealthCheckConfig.ResourcePath]).sort()).toEqual([
      [EP.r1, 'HTTPS', 443, '/ready'],
      [EP.r2, 'HTTPS', 443, '/ready'],
    ])
    // Each record is tied to its own region's check.
    const records = await cnames('app.example.com')
    const checkOf = (region: string) => checks.find((c) => c.Id === records.find((r) => r.SetIdentifier === region)?.HealthCheckId)?.HealthCheckConfig.FullyQualifiedDomainName
    expect([checkOf('r1'), checkOf('r2')]).toEqual([EP.r1, EP.r2])

    // Re-running create changes nothing: no second set of health checks.
    await traffic.ensureRecords([{region: 'r1', endpoint: EP.r1, healthPath: '/ready'}, {region: 'r2', endpoint: EP.r2, healthPath: '/ready'}])
    expect(await healthChecks()).toHaveLength(2)

    await traffic.switchActive('r2')
    expect(view(await cnames('app.example.com'))).toEqual({r1: `${EP.r1} SECONDARY +hc`, r2: `${EP.r2} PRIMARY +hc`})
    await traffic.switchActive('r2')
    expect(view(await cnames('app.example.com'))).toEqual({r1: `${EP.r1} SECONDARY +hc`, r2: `${EP.r2} PRIMARY +hc`})

    await traffic.withdraw('r1')
    expect(view(await cnames('app.example.com'))).toEqual({r2: `${EP.r2} PRIMARY +hc`})
    await traffic.restore('r1')
    expect(view(await cnames('app.example.com'))).toEqual({r1: `${EP.r1} SECONDARY +hc`, r2: `${EP.r2} PRIMARY +hc`})

    // A re-run of create after the switchover keeps r2 active.
    await traffic.ensureRecords([{region: 'r1', endpoint: EP.r1, healthPath: '/ready'}, {region: 'r2', endpoint: EP.r2, healthPath: '/ready'}])
    expect(view(await cnames('app.example.com'))).toEqual({r1: `${EP.r1} SECONDARY +hc`, r2: `${EP.r2} PRIMARY +hc`})
    expect((await traffic.healthChecksFor('r2'))[0]).toMatchObject({region: 'r2', target: `https://${EP.r2}:443/ready`})

    const removed = await traffic.removeRecords()
    expect(removed).toHaveLength(4)
    expect(await cnames('app.example.com')).toEqual([])
    expect(await healthChecks()).toEqual([])
    // The zone is the user's: still there.
    expect(((await aws('route53', 'get-hosted-zone', '--id', zoneId)).HostedZone as {Name: string}).Name).toBe(`${ZONE}.`)
    await traffic.close()
  })

  test('active-active: weighted records for both regions; withdraw sets a weight to 0; a new entry point replaces its health check', async () => {
    const traffic = await open('aa', 'active-active')
    await traffic.ensureRecords([{region: 'r1', endpoint: EP.r1}, {region: 'r2', endpoint: EP.r2}])
    expect(view(await cnames('aa.example.com'))).toEqual({r1: `${EP.r1} weight 100 +hc`, r2: `${EP.r2} weight 100 +hc`})
    await traffic.withdraw('r2')
    expect(view(await cnames('aa.example.com'))).toEqual({r1: `${EP.r1} weight 100 +hc`, r2: `${EP.r2} weight 0 +hc`})
    expect((await traffic.describe()).regions.find((r) => r.region === 'r2')?.withdrawn).toBe(true)
    await traffic.restore('r2')
    expect(view(await cnames('aa.example.com'))).toEqual({r1: `${EP.r1} weight 100 +hc`, r2: `${EP.r2} weight 100 +hc`})

    await traffic.ensureRecords([{region: 'r1', endpoint: 'new-alb.ap-south-1.elb.amazonaws.com'}, {region: 'r2', endpoint: EP.r2}])
    expect(view(await cnames('aa.example.com')).r1).toBe('new-alb.ap-south-1.elb.amazonaws.com weight 100 +hc')
    expect((await healthChecks()).map((c) => c.HealthCheckConfig.FullyQualifiedDomainName).sort()).toEqual([EP.r2, 'new-alb.ap-south-1.elb.amazonaws.com'].sort())
    await traffic.removeRecords()
    await traffic.close()
  })

  test('a zone that does not exist is one clear error naming it', async () => {
    const traffic = await openTrafficFor(
      {spec: testEnvironment({name: 'x', provider: 'aws', regions: {primary: 'r1'}, dns: {zone: 'nowhere.example', name: 'x.nowhere.example'}}), activeRegion: 'r1'},
      {aws: {config: {endpoint: moto.endpoint, credentials: moto.credentials}}},
    )
    await expect(traffic.ensureRecords([{region: 'r1', endpoint: EP.r1}])).rejects.toThrow('public hosted zone nowhere.example not found in Route 53')
    await traffic.close()
  })
})
