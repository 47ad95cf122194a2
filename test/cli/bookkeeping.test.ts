import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalEnvironment, type LocalHome} from '../helpers/local-home.js'

/**
 * A deploy whose work succeeded but whose bookkeeping failed exits 8 (never 7, the code of a failed
 * deploy) with one line saying so and the command that writes the record. The failure is made as
 * on a real cluster: the environment record's ConfigMap is marked `immutable`, so the write of the
 * deployed version is refused (422, "field is immutable when `immutable` is set").
 */
describe('bookkeeping that fails after a successful deploy', () => {
  let local: LocalHome
  let kubeconfig: string

  const kubectl = async (args: string[], input?: string) => {
    const run = await runKubectl(args, {kubeconfig, input})
    expect(run.exitCode, run.stderr).toBe(0)
    return run.stdout
  }

  beforeAll(async () => {
    ;({local, kubeconfig} = await createLocalEnvironment('books'))
  }, 120_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('exit 8 naming what was deployed and what is missing; `rollout resume` writes it once the record is writable', async () => {
    const record = JSON.parse(await kubectl(['get', 'configmap', 'mygate-environment', '-n', 'mygate-system', '-o', 'json'])) as {metadata: Record<string, unknown>}
    await kubectl(['patch', 'configmap', 'mygate-environment', '-n', 'mygate-system', '--type', 'merge', '-p', '{"immutable":true}'])

    const deployed = await local.cli(['deploy', 'visitors', '--env', 'books', '--version', '3.5.0', '--rolling', '--timeout', '60s'])
    expect(deployed.exitCode, deployed.stderr).toBe(8)
    const lines = deployed.stderr.trimEnd().split('\n')
    expect(lines.at(-1)).toMatch(
      /^Error: deployed visitors 3\.5\.0; could not record it: deployed version: .*ConfigMap "mygate-environment" is invalid: data: Forbidden: field is immutable when `immutable` is set \(run `mygate rollout resume visitors --env books` to write the records again\)$/,
    )
    expect(deployed.stderr).not.toMatch(/^\s+at /m)
    // The work stands: the new version runs, the rollout succeeded, its audit entry is written.
    expect(await kubectl(['get', 'deployment', 'visitors', '-n', 'mygate', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).toMatch(/:3\.5\.0$/)
    const history = parseEnvelope<{result: {entries: Array<{toVersion: string; outcome: string}>}}>((await local.cli(['rollout', 'history', 'visitors', '--env', 'books', '--json'])).stdout)
    expect(history.result.entries.map((e) => `${e.toVersion} ${e.outcome}`)).toEqual(['3.5.0 succeeded'])
    const versionOf = async () => parseEnvelope<{result: {versions: Record<string, string>}}>((await local.cli(['env', 'describe', 'books', '--json'])).stdout).result.versions.visitors
    expect(await versionOf()).toBe('3.4.0')

    // The resume it names, while the record is still immutable: exit 8 again, the same line.
    const stillRefused = await local.cli(['rollout', 'resume', 'visitors', '--env', 'books'])
    expect(stillRefused.exitCode).toBe(8)
    expect(expectOneLineError(stillRefused)).toMatch(/^Error: deployed visitors 3\.5\.0; could not record it: deployed version: /)

    // An immutable ConfigMap can only be recreated; then the resume writes the version.
    await kubectl(['delete', 'configmap', 'mygate-environment', '-n', 'mygate-system'])
    const {name, namespace, labels, annotations} = record.metadata
    await kubectl(['create', '-f', '-'], JSON.stringify({...record, metadata: {name, namespace, labels, annotations}}))
    const resumed = await local.cli(['rollout', 'resume', 'visitors', '--env', 'books'])
    expect(resumed.exitCode, resumed.stderr).toBe(0)
    expect(await versionOf()).toBe('3.5.0')
  }, 120_000)

  test('json: the error envelope carries code BOOKKEEPING, exit 8 and the deploy result', async () => {
    await kubectl(['patch', 'configmap', 'mygate-environment', '-n', 'mygate-system', '--type', 'merge', '-p', '{"immutable":true}'])
    const deployed = await local.cli(['deploy', 'visitors', '--env', 'books', '--version', '3.5.1', '--rolling', '--timeout', '60s', '--json'])
    expect(deployed.exitCode).toBe(8)
    const envelope = parseEnvelope<{ok: boolean; error: {code: string; exitCode: number; details: {result: {services: Array<{outcome: string}>}}}}>(deployed.stdout)
    expect(envelope).toMatchObject({ok: false, error: {code: 'BOOKKEEPING', exitCode: 8}})
    expect(envelope.error.details.result.services.map((s) => s.outcome)).toEqual(['succeeded'])
  }, 120_000)
})
