import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, test} from 'vitest'

import {isDns1123Label, loadProjectConfig, resolveEnvironment} from '../../../src/config/load-project-config.js'
import {NotFoundError, UsageError} from '../../../src/errors.js'
import {packagePath} from '../../../src/package-root.js'

const VALID = `apiVersion: mygate.dev/v1
kind: Project
registry: registry.example.com/mygate
environments:
  qa:
    tier: staging
    provider: kubeconfig
    context: kind-qa
    regions:
      primary: local-1
    versions:
      billing: "4.2.0-rc.1"
  live:
    tier: prod
    provider: aws
    registry: 123456789012.dkr.ecr.ap-south-1.amazonaws.com/mygate
    regions: {primary: ap-south-1, secondary: ap-south-2}
    drMode: pilot-light
    mesh: true
    ttl: 7d
    aws:
      kubernetesVersion: "1.30"
`

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mygate-config-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

const lineOf = (text: string, needle: string) => {
  const index = text.split('\n').findIndex((line) => line.includes(needle))
  expect(index, `"${needle}" not found`).toBeGreaterThanOrEqual(0)
  return index + 1
}

async function configError(text: string): Promise<{error: UsageError; file: string}> {
  const file = join(dir, 'mygate.yaml')
  await writeFile(file, text)
  const error = await loadProjectConfig({cwd: dir}).then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(UsageError)
  return {error: error as UsageError, file}
}

describe('finding the config', () => {
  test('without a mygate.yaml in the cwd, the shipped default is used: dev, staging, prod', async () => {
    const config = await loadProjectConfig({cwd: dir})
    expect(config.file).toBeUndefined()
    expect(config.registry).toBe('registry.mygate.dev')
    expect(config.environments).toEqual([
      {name: 'dev', tier: 'dev', provider: 'local', regions: {primary: 'local-1'}, drMode: 'warm-standby', registry: 'registry.mygate.dev', versions: {}, mesh: false},
      {name: 'staging', tier: 'staging', provider: 'aws', regions: {primary: 'ap-south-1', secondary: 'ap-south-2'}, drMode: 'pilot-light', registry: 'registry.mygate.dev', versions: {}, mesh: false},
      {name: 'prod', tier: 'prod', provider: 'aws', regions: {primary: 'ap-south-1', secondary: 'ap-south-2'}, drMode: 'warm-standby', registry: 'registry.mygate.dev', versions: {}, mesh: true},
    ])
  })

  test('./mygate.yaml in the cwd wins over the default, with defaults applied', async () => {
    await writeFile(join(dir, 'mygate.yaml'), VALID)
    const config = await loadProjectConfig({cwd: dir})
    expect(config.file).toBe(join(dir, 'mygate.yaml'))
    expect(config.environments.map((env) => env.name)).toEqual(['qa', 'live'])
    expect(resolveEnvironment(config, 'qa')).toEqual({
      name: 'qa',
      tier: 'staging',
      provider: 'kubeconfig',
      context: 'kind-qa',
      regions: {primary: 'local-1'},
      drMode: 'warm-standby',
      registry: 'registry.example.com/mygate',
      versions: {billing: '4.2.0-rc.1'},
      mesh: false,
    })
    expect(resolveEnvironment(config, 'live')).toMatchObject({
      registry: '123456789012.dkr.ecr.ap-south-1.amazonaws.com/mygate',
      drMode: 'pilot-light',
      mesh: true,
      ttl: '7d',
      aws: {kubernetesVersion: '1.30'},
    })
  })

  test('an explicit path (relative to cwd) wins over ./mygate.yaml', async () => {
    await writeFile(join(dir, 'mygate.yaml'), VALID)
    await writeFile(join(dir, 'other.yaml'), VALID.replace('  qa:', '  other:'))
    const config = await loadProjectConfig({cwd: dir, configPath: 'other.yaml'})
    expect(config.file).toBe(join(dir, 'other.yaml'))
    expect(config.environments[0].name).toBe('other')
  })

  test('an explicit path that does not exist is a usage error', async () => {
    const attempt = loadProjectConfig({cwd: dir, configPath: join(dir, 'missing.yaml')})
    await expect(attempt).rejects.toBeInstanceOf(UsageError)
    await expect(attempt).rejects.toThrow(`config file ${join(dir, 'missing.yaml')} does not exist`)
  })

  test('the shipped default is the repository mygate.yaml', async () => {
    const config = await loadProjectConfig({configPath: packagePath('mygate.yaml')})
    expect(config.environments.map((env) => env.name)).toEqual(['dev', 'staging', 'prod'])
  })
})

describe('config errors name the file, line and field', () => {
  test.each<[string, (text: string) => string, string, string]>([
    ['an unknown key', (t) => t.replace('    mesh: true', '    meshh: true'), 'meshh: true', 'environments.live.meshh is not a known field (known fields: tier, provider, regions,'],
    ['a misspelt nested key', (t) => t.replace('primary: local-1', 'primery: local-1'), 'primery:', 'environments.qa.regions.primery is not a known field (did you mean primary?)'],
    ['a wrong type', (t) => t.replace('mesh: true', 'mesh: "yes"'), 'mesh: "yes"', 'environments.live.mesh must be true or false, got "yes"'],
    ['a tier that does not exist', (t) => t.replace('tier: prod', 'tier: production'), 'tier: production', 'environments.live.tier must be one of dev, staging, prod, got "production"'],
    ['a provider that does not exist', (t) => t.replace('provider: aws', 'provider: azure'), 'provider: azure', 'environments.live.provider must be one of local, kubeconfig, aws, gcp, got "azure"'],
    ['a missing region', (t) => t.replace('regions: {primary: ap-south-1, secondary: ap-south-2}', 'regions: {secondary: ap-south-2}'), 'regions: {secondary', 'environments.live.regions.primary is required'],
    ['a missing tier', (t) => t.replace('    tier: staging\n', ''), '  qa:', 'environments.qa.tier is required'],
    ['a bad duration', (t) => t.replace('ttl: 7d', 'ttl: a week'), 'ttl: a week', 'environments.live.ttl must be a duration such as 8h or 7d, got "a week"'],
    ['an unquoted Kubernetes version', (t) => t.replace('kubernetesVersion: "1.30"', 'kubernetesVersion: 1.30'), 'kubernetesVersion: 1.30', 'environments.live.aws.kubernetesVersion must be a Kubernetes minor version such as "1.30", got 1.3 (quote it: "1.3")'],
    ['a registry with a scheme', (t) => t.replace('registry: registry.example.com/mygate', 'registry: https://registry.example.com'), 'registry: https', 'registry must be an image registry host'],
    ['an environment name that is not a DNS label', (t) => t.replace('  qa:', '  QA_1:'), 'QA_1:', 'environments.QA_1 is not a valid environment name: use a lowercase DNS label'],
    ['the same secondary and primary region', (t) => t.replace('secondary: ap-south-2', 'secondary: ap-south-1'), 'secondary: ap-south-1', 'environments.live.regions.secondary must differ from regions.primary (ap-south-1)'],
    ['aws settings on another provider', (t) => t.replace('provider: aws', 'provider: gcp'), '    aws:', 'environments.live.aws is only used with provider aws (this environment uses gcp)'],
    ['a kubeconfig context on another provider', (t) => t.replace('provider: kubeconfig', 'provider: local'), 'context: kind-qa', 'environments.qa.context is only used with provider kubeconfig (this environment uses local)'],
    ['a drMode without a secondary region', (t) => t.replace('regions: {primary: ap-south-1, secondary: ap-south-2}', 'regions: {primary: ap-south-1}'), 'drMode:', 'environments.live.drMode needs regions.secondary'],
    ['a wrong apiVersion', (t) => t.replace('apiVersion: mygate.dev/v1', 'apiVersion: v1'), 'apiVersion:', 'apiVersion must be mygate.dev/v1, got "v1"'],
    ['no environments', (t) => t.slice(0, t.indexOf('environments:')) + 'environments: {}\n', 'environments:', 'environments must have at least 1 entry'],
  ])('%s', async (_what, change, needle, expected) => {
    const text = change(VALID)
    expect(text).not.toBe(VALID)
    const {error, file} = await configError(text)
    expect(error.message).toContain(`${file}:${lineOf(text, needle)}: ${expected}`)
  })

  test('malformed YAML names the file and the line', async () => {
    const text = VALID.replace('regions: {primary: ap-south-1, secondary: ap-south-2}', 'regions: {primary: ap-south-1, secondary: ap-south-2')
    const {error, file} = await configError(text)
    const match = /^(.+):(\d+): invalid YAML: (.+)$/.exec(error.message)
    expect(match?.[1]).toBe(file)
    expect(Number(match?.[2])).toBeGreaterThanOrEqual(lineOf(text, 'regions: {primary: ap-south-1'))
    expect(error.details).toMatchObject({file})
  })

  test('a duplicate key is malformed YAML at the second occurrence', async () => {
    const text = VALID.replace('    mesh: true\n', '    mesh: true\n    mesh: false\n')
    const {error, file} = await configError(text)
    expect(error.message).toBe(`${file}:${lineOf(text, 'mesh: false')}: invalid YAML: Map keys must be unique`)
  })

  test('a file that is not a mapping', async () => {
    const {error, file} = await configError('- dev\n- prod\n')
    expect(error.message).toBe(`${file}:1: (document) must be a mapping, got a list`)
  })
})

describe('resolveEnvironment', () => {
  test('an unknown environment is NotFoundError listing the known ones', async () => {
    const config = await loadProjectConfig({cwd: dir})
    const error = (() => {
      try {
        resolveEnvironment(config, 'qa')
      } catch (thrown) {
        return thrown
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(NotFoundError)
    expect((error as NotFoundError).message).toBe('unknown environment "qa": the built-in mygate.yaml defines one of dev, staging, prod')
    expect((error as NotFoundError).hint).toContain('mygate env list')
    expect((error as NotFoundError).hint).toContain('mygate.yaml')
  })
})

describe('isDns1123Label', () => {
  test.each([
    ['dev', true],
    ['pr-1234', true],
    ['a', true],
    ['0abc', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['', false],
    ['Dev', false],
    ['-dev', false],
    ['dev-', false],
    ['dev_1', false],
    ['dev.eu', false],
  ])('%s -> %s', (name, valid) => {
    expect(isDns1123Label(name)).toBe(valid)
  })
})
