import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * `mygate local fault --api-lost-response-rate`: writes are carried out but kubectl hears a
 * failure; the objects are there afterwards. The environment is created --infra-only (clusters
 * and kubeconfig, no services), which is all API faults need.
 */
describe('mygate local fault: committed, response lost', () => {
  let local: LocalHome
  let kubeconfig: string
  let context: string
  const kubectl = (args: string[], input?: string) => runKubectl(['--context', context, ...args], {kubeconfig, input})
  const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: default}\ndata: {k: v}\n`

  beforeAll(async () => {
    local = createLocalHome()
    const run = await local.cli(['env', 'create', 'lossy', '--infra-only', '--json'])
    if (run.exitCode !== 0) throw new Error(run.stderr)
    const result = parseEnvelope<{result: {kubeconfig: string; contexts: Record<string, string>}}>(run.stdout).result
    kubeconfig = result.kubeconfig
    context = result.contexts['local-1']
  }, 60_000)
  afterAll(async () => {
    await local.cleanup()
  })

  test.each([
    // kubectl's client retries a 503 that carries Retry-After, and its retried create then
    // meets the object its first attempt made: exactly what the mode is for.
    ['error', /configmaps "lost-error" already exists|injected fault/],
    ['drop', /EOF|connection reset|broken pipe|closed/i],
  ])('--api-lost-response %s: kubectl fails, the object exists', async (mode, failure) => {
    const inject = await local.cli(['local', 'fault', '--env', 'lossy', '--api-lost-response-rate', '1', '--api-lost-response', mode])
    expect(inject.exitCode, inject.stderr).toBe(0)
    expect(inject.stdout).toContain(`lost responses 1 (${mode})`)
    const applied = await kubectl(['apply', '-f', '-'], configMap(`lost-${mode}`))
    expect(applied.exitCode).not.toBe(0)
    expect(applied.stderr).toMatch(failure)
    // Reads are not affected: the write went through.
    expect((await kubectl(['get', 'configmap', `lost-${mode}`, '-o', 'jsonpath={.data.k}'])).stdout).toBe('v')
    expect((await local.cli(['local', 'fault', '--env', 'lossy', '--clear'])).exitCode).toBe(0)
    expect((await kubectl(['apply', '-f', '-'], configMap(`after-${mode}`))).exitCode).toBe(0)
  })

  test.each([
    [['--api-lost-response', 'drop'], '--api-lost-response drop needs --api-lost-response-rate'],
    [['--api-lost-response-rate', '2'], '--api-lost-response-rate 2 is outside 0..1'],
    [['--api-lost-response-rate', '0.1', '--api-lost-response', 'sometimes'], 'Expected --api-lost-response=sometimes to be one of: drop, error, both'],
  ])('%j is refused', async (args, message) => {
    const run = await local.cli(['local', 'fault', '--env', 'lossy', ...args])
    expect(run.exitCode).toBe(2)
    expect(expectOneLineError(run)).toContain(message)
  })
})
