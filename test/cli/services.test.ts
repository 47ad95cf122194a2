import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'

import type {ServiceDescriptor} from '../../src/catalog/types.js'
import type {ServiceSummary} from '../../src/catalog/summary.js'
import type {ErrorEnvelope, SuccessEnvelope} from '../../src/cli/json-envelope.js'
import {REPO_ROOT, parseEnvelope, runCli, expectOneLineError} from '../helpers/cli.js'

const APPS = ['amenities', 'auth', 'billing', 'gateway', 'maintenance', 'notifications', 'reports', 'users', 'visitors']
const DATA = [...APPS.filter((name) => name !== 'gateway').map((name) => `${name}-db`), 'redis']
const FIXTURES = join(REPO_ROOT, 'test/fixtures/catalog')

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((line) => line.includes(needle)) + 1


describe('mygate services list', () => {
  test('--json is one envelope naming every app and data service', async () => {
    const result = await runCli(['services', 'list', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).toBe('')
    const envelope = parseEnvelope<SuccessEnvelope<ServiceSummary[]>>(result.stdout)
    expect(envelope).toMatchObject({apiVersion: 'mygate.dev/v1', ok: true, command: 'services list', warnings: []})
    expect(envelope.result.map((s) => s.name).sort()).toEqual([...APPS, ...DATA].sort())
    const billing = envelope.result.find((s) => s.name === 'billing')
    expect(billing).toEqual({
      name: 'billing',
      kind: 'app',
      description: 'Maintenance dues, invoices, payments and receipts',
      image: 'mygate/billing:4.1.2',
      strategy: 'blue-green',
      criticality: 'critical',
      replicas: {dev: 1, staging: 2, prod: 3},
      spot: false,
      dependsOn: ['billing-db', 'auth', 'notifications', 'users'],
    })
    expect(envelope.result.filter((s) => s.kind === 'mongodb')).toHaveLength(8)
  })

  test('prints a table on stdout: a header and one row per service', async () => {
    const result = await runCli(['services', 'list'])
    expect(result.exitCode, result.stderr).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0].split(/\s{2,}/)).toEqual(['NAME', 'KIND', 'STRATEGY', 'CRITICALITY', 'REPLICAS dev/staging/prod', 'SPOT'])
    expect(lines).toHaveLength(1 + APPS.length + DATA.length)
    expect(lines.find((line) => line.startsWith('billing '))?.split(/\s+/)).toEqual(['billing', 'app', 'blue-green', 'critical', '1/2/3', 'no'])
    expect(lines.find((line) => line.startsWith('reports '))?.split(/\s+/)).toEqual(['reports', 'app', 'rolling', 'standard', '1/1/2', 'yes'])
    expect(lines.find((line) => line.startsWith('redis '))?.split(/\s+/)).toEqual(['redis', 'redis', 'rolling', 'high', '1/1/3', 'no'])
  })

  test('a descriptor with a wrong type: exit 2, one line with file, line and field', async () => {
    const file = join(FIXTURES, 'wrong-type/redis.yaml')
    const result = await runCli(['services', 'list'], {env: {MYGATE_SERVICES_DIR: join(FIXTURES, 'wrong-type')}})
    expect(result.exitCode).toBe(2)
    const line = expectOneLineError(result)
    const at = lineOf(await readFile(file, 'utf8'), 'replicas: three')
    expect(line).toMatch(
      new RegExp(`^Error: test/fixtures/catalog/wrong-type/redis\\.yaml:${at}: tiers\\.prod\\.replicas must be an integer between 0 and 100, got "three" \\(.+\\)$`),
    )
  })

  test('a descriptor with an unknown key: exit 2, and --json carries the location in details', async () => {
    const file = join(FIXTURES, 'unknown-key/redis.yaml')
    const result = await runCli(['services', 'list', '--json'], {env: {MYGATE_SERVICES_DIR: join(FIXTURES, 'unknown-key')}})
    expect(result.exitCode).toBe(2)
    const envelope = parseEnvelope<ErrorEnvelope>(result.stdout)
    const at = lineOf(await readFile(file, 'utf8'), 'preemptible: true')
    expect(envelope.ok).toBe(false)
    expect(envelope.error).toMatchObject({
      code: 'USAGE',
      exitCode: 2,
      message: expect.stringMatching(new RegExp(`redis\\.yaml:${at}: preemptible is not a known field`)),
      details: {file: 'test/fixtures/catalog/unknown-key/redis.yaml', line: at, field: 'preemptible'},
    })
  })
})

describe('mygate services show', () => {
  test('billing: the descriptor as readable YAML', async () => {
    const result = await runCli(['services', 'show', 'billing'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^# billing \(app\), from services\/billing\.yaml\n/)
    expect(result.stdout).toContain('\nname: billing\n')
    expect(result.stdout).toContain('  strategy: blue-green\n')
    expect(result.stdout).toContain('  database: billing-db\n')
    expect(result.stdout).toContain('secretName: payment-gateway')
  })

  test('billing --json: the full descriptor with defaults applied', async () => {
    const result = await runCli(['services', 'show', 'billing', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const {result: descriptor} = parseEnvelope<SuccessEnvelope<ServiceDescriptor>>(result.stdout)
    expect(descriptor).toMatchObject({
      name: 'billing',
      kind: 'app',
      image: {repository: 'mygate/billing', tag: '4.1.2'},
      port: 8080,
      probes: {type: 'http', liveness: '/healthz', readiness: '/ready'},
      autoscaling: {minReplicas: 3, maxReplicas: 10, targetCPUUtilizationPercentage: 60},
      rollout: {strategy: 'blue-green', canarySteps: [5, 20, 50, 100], stepPause: '10m', analysis: {maxErrorRate: 0.001, maxP99LatencyMs: 800}},
      dependencies: {database: 'billing-db', services: ['auth', 'notifications', 'users']},
      criticality: {level: 'critical', rto: '15m', rpo: '1m'},
      spot: false,
      source: {file: 'services/billing.yaml'},
    })
    expect(descriptor.tiers.prod.replicas).toBe(3)
  })

  test('an unknown name: exit 3, one line naming it and the known names, no stack trace', async () => {
    const result = await runCli(['services', 'show', 'nope'])
    expect(result.exitCode).toBe(3)
    const line = expectOneLineError(result)
    expect(line).toContain('unknown service "nope"')
    for (const name of ['billing', 'gateway', 'redis']) expect(line).toContain(name)
    expect(line).toContain('mygate services list')
  })

  test('an unknown name with --json: an error envelope with NOT_FOUND', async () => {
    const result = await runCli(['services', 'show', 'nope', '--json'])
    expect(result.exitCode).toBe(3)
    const envelope = parseEnvelope<ErrorEnvelope>(result.stdout)
    expect(envelope.ok).toBe(false)
    expect(envelope.error.code).toBe('NOT_FOUND')
    expect(envelope.error.details).toMatchObject({name: 'nope'})
  })

  test('no name: a usage error, exit 2', async () => {
    const result = await runCli(['services', 'show'])
    expect(result.exitCode).toBe(2)
    expectOneLineError(result)
  })
})
