import {describe, expect, test} from 'vitest'

import {UsageError} from '../../../src/errors.js'
import {environmentDnsName, hasManagedDns, openTrafficFor, trafficModeFor} from '../../../src/traffic-dns/environment-traffic.js'
import {testEnvironment} from '../../helpers/builders.js'

const dns = {zone: 'example.com', name: 'app.example.com'}

describe('which environments have a DNS name mygate manages', () => {
  test.each<[string, Parameters<typeof testEnvironment>[0], string | undefined, boolean]>([
    ['local without dns: NAME.mygate.local', {provider: 'local'}, 'demo.mygate.local', true],
    ['local with dns: that name', {provider: 'local', dns}, 'app.example.com', true],
    ['aws with dns: Route 53', {provider: 'aws', dns}, 'app.example.com', true],
    ['aws without dns: none', {provider: 'aws'}, undefined, false],
    ['gcp with dns: Cloud DNS', {provider: 'gcp', dns}, 'app.example.com', true],
    ['gcp without dns: none', {provider: 'gcp'}, undefined, false],
    ['kubeconfig: the owners\' DNS', {provider: 'kubeconfig'}, undefined, false],
  ])('%s', (_case, overrides, name, managed) => {
    const spec = testEnvironment(overrides)
    expect(environmentDnsName(spec)).toBe(name)
    expect(hasManagedDns(spec)).toBe(managed)
  })

  test('active-active is weighted, every other mode failover', () => {
    expect(trafficModeFor({drMode: 'active-active'})).toBe('weighted')
    expect(trafficModeFor({drMode: 'pilot-light'})).toBe('failover')
    expect(trafficModeFor({drMode: 'warm-standby'})).toBe('failover')
  })

  test('opening traffic where mygate manages no DNS is bad input with a hint', async () => {
    await expect(openTrafficFor({spec: testEnvironment({provider: 'kubeconfig'}), activeRegion: 'local-1'})).rejects.toThrow(UsageError)
    await expect(openTrafficFor({spec: testEnvironment({provider: 'aws'}), activeRegion: 'a'})).rejects.toThrow('environment "demo" has no DNS name mygate manages')
  })
})
