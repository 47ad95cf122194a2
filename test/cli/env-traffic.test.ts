import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {connectEnvironment} from '../../src/env/connect.js'
import {getDnsRecords} from '../../src/local-control/control-client.js'
import {openEnvironmentTraffic} from '../../src/traffic-dns/environment-traffic.js'
import {gatewayServesIn} from '../../src/traffic-dns/gateway-serves.js'
import {parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

interface Dns {
  name: string
  mode: string
  active: string[]
  regions: Array<{region: string; endpoint?: string; healthy?: boolean; withdrawn: boolean}>
}

/** A two-region local environment: entry points, the DNS name, and traffic moving between regions. */
describe('traffic entry and DNS on the local provider', () => {
  let local: LocalHome
  beforeAll(() => {
    local = createLocalHome()
  })
  afterAll(async () => {
    await local.cleanup()
  })

  const describeDns = async (): Promise<Dns> => {
    const run = await local.cli(['env', 'describe', 'tr', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    return parseEnvelope<{result: {dns: Dns; activeRegion: string}}>(run.stdout).result.dns
  }

  test('create gives each region an entry point and one DNS name; a region outage and a switch move the answer; destroy removes the records', async () => {
    // Pilot light keeps the secondary small; the entry point and records exist in both regions anyway.
    const run = await local.cli(['env', 'create', 'tr', '--region', 'west', '--secondary-region', 'east', '--dr-mode', 'pilot-light', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const created = parseEnvelope<{result: {kubeconfig: string; contexts: Record<string, string>; traffic: {name: string; entryPoints: Array<{region: string; endpoint: string}>}}}>(run.stdout).result
    expect(created.traffic.name).toBe('tr.mygate.local')

    // The cluster holds the Ingress, and its load-balancer status is the entry point DNS points at.
    for (const region of ['west', 'east']) {
      const ingress = await runKubectl(['--context', created.contexts[region], 'get', 'ingress', 'gateway', '-n', 'mygate', '-o', 'jsonpath={.spec.rules[0].host} {.status.loadBalancer.ingress[0].hostname}'], {
        kubeconfig: created.kubeconfig,
      })
      expect(ingress.stdout).toBe(`tr.mygate.local mygate-gateway.tr-${region}.lb.mygate.local`)
    }

    const dns = await describeDns()
    expect(dns).toMatchObject({name: 'tr.mygate.local', mode: 'failover', active: ['west']})
    expect(dns.regions.map((r) => [r.region, r.endpoint, r.healthy])).toEqual([
      ['west', 'mygate-gateway.tr-west.lb.mygate.local', true],
      ['east', 'mygate-gateway.tr-east.lb.mygate.local', true],
    ])

    // The health check alone moves traffic when the active region goes down.
    expect((await local.cli(['local', 'fault', '--env', 'tr', '--region-down', 'west'])).exitCode).toBe(0)
    expect((await getDnsRecords(local.home, 'tr.mygate.local'))?.active).toEqual(['east'])
    expect((await local.cli(['local', 'fault', '--env', 'tr', '--region-down', 'west', '--clear'])).exitCode).toBe(0)

    // The failover engine's call: switch explicitly; describe (through the CLI) follows the table.
    const connection = await connectEnvironment('tr', {home: local.home})
    const traffic = await openEnvironmentTraffic(connection.record, {home: local.home})
    // The verification the failover engine runs: west serves (ready pods, errors within bounds, DNS);
    // east does not (pilot light: no gateway Deployment yet).
    const serves = (region: string) =>
      gatewayServesIn({client: connection.clients.get(region)!, region, traffic, expectedReplicas: 1, maxErrorRate: 0.05, window: '1m'})
    const west = await serves('west')
    expect(west.serves, west.reason).toBe(true)
    const east = await serves('east')
    expect(east.serves).toBe(false)
    expect(east.checks.map((c) => [c.name, c.ok])).toEqual([
      ['pods', false],
      ['error-rate', false],
      ['dns', false],
    ])
    expect(east.reason).toContain('no gateway Deployment in east')
    expect(east.reason).toContain('DNS answers with west, not east')
    await traffic.switchActive('east')
    expect((await serves('west')).reason).toContain('DNS answers with east, not west')
    connection.close()
    await traffic.close()
    expect((await getDnsRecords(local.home, 'tr.mygate.local'))?.regions.map((r) => [r.region, r.role])).toEqual([
      ['west', 'secondary'],
      ['east', 'primary'],
    ])
    expect((await describeDns()).active).toEqual(['east'])

    const destroy = await local.cli(['env', 'destroy', 'tr', '--yes', '--json'])
    expect(destroy.exitCode, destroy.stderr).toBe(0)
    expect(parseEnvelope<{result: {destroyed: Array<{removed: string[]}>}}>(destroy.stdout).result.destroyed[0].removed).toContain('local DNS records for tr.mygate.local')
    expect(await getDnsRecords(local.home, 'tr.mygate.local')).toBeUndefined()
  }, 180_000)
})
