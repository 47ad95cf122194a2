import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'

import type {ProjectConfig} from '../../../src/config/types.js'
import {resolveCreateSpec} from '../../../src/env/resolve-spec.js'
import {UsageError} from '../../../src/errors.js'
import {testEnvironment} from '../../helpers/builders.js'

const config: ProjectConfig = {
  registry: 'registry.example',
  environments: [testEnvironment({name: 'staging', tier: 'staging', provider: 'aws', regions: {primary: 'ap-south-1', secondary: 'ap-south-2'}})],
}

describe('resolveCreateSpec', () => {
  test('an unconfigured name gets a dev environment on the local provider', async () => {
    const spec = await resolveCreateSpec('demo', config, {})
    expect(spec).toMatchObject({name: 'demo', tier: 'dev', provider: 'local', regions: {primary: 'local-1'}, registry: 'registry.example'})
  })

  test('flags override the configured environment', async () => {
    const spec = await resolveCreateSpec('staging', config, {tier: 'prod', region: 'eu-west-1', secondaryRegion: 'eu-central-1'})
    expect(spec).toMatchObject({provider: 'aws', tier: 'prod', regions: {primary: 'eu-west-1', secondary: 'eu-central-1'}})
  })

  test('switching provider without a region uses that provider\'s default region', async () => {
    const spec = await resolveCreateSpec('staging', config, {provider: 'local'})
    expect(spec.regions).toEqual({primary: 'local-1'})
  })

  test.each([
    ['Demo', {}, 'environment name "Demo" is not a DNS-1123 label'],
    ['demo_1', {}, 'environment name "demo_1" is not a DNS-1123 label'],
    ['demo', {region: 'r1', secondaryRegion: 'r1'}, '--secondary-region "r1" is the same as the primary region'],
    ['demo', {ttl: 'soon'}, '--ttl "soon" is not a duration'],
    ['demo', {provider: 'kubeconfig' as const}, 'provider kubeconfig needs a context'],
  ])('%s with %j is refused: %s', async (name, overrides, message) => {
    const attempt = resolveCreateSpec(name, config, overrides)
    await expect(attempt).rejects.toThrow(UsageError)
    await expect(attempt).rejects.toThrow(message)
  })

  test('an env file is layered between the config and the flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-envfile-'))
    const file = join(dir, 'env.yaml')
    writeFileSync(file, 'tier: staging\nregions:\n  primary: local-7\nversions:\n  visitors: 2.0.0\n')
    const spec = await resolveCreateSpec('demo', config, {file, tier: 'prod'})
    expect(spec).toMatchObject({tier: 'prod', regions: {primary: 'local-7'}, versions: {visitors: '2.0.0'}})
  })

  test('an env file with an unknown key names the file, line and key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-envfile-'))
    const file = join(dir, 'env.yaml')
    writeFileSync(file, 'tier: dev\nregions:\n  primary: local-1\nreplicaz: 3\n')
    await expect(resolveCreateSpec('demo', config, {file})).rejects.toThrow(/env\.yaml:4: .*replicaz/)
  })
})
