import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest'

import {ExternalError, UsageError} from '../../../src/errors.js'
import {KubeClient} from '../../../src/kube/client.js'
import {
  clearExecCredentialCache,
  execCredentialSource,
  parseExecCredential,
  type ExecCredentialStatus,
} from '../../../src/kube/kubeconfig/exec-plugin.js'
import {writeKubeconfigFile} from '../../../src/kube/kubeconfig/files.js'
import type {ExecConfig} from '../../../src/kube/kubeconfig/format.js'
import {writeTestPlugin} from '../../helpers/exec-plugin.js'
import {json, startScriptedApiServer, status, type ScriptedApiServer} from '../../helpers/scripted-api-server.js'

/**
 * Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1): the caching rule as a
 * pure function, then real plugin scripts run by a real client against a scripted API server.
 */

let dir: string
let server: ScriptedApiServer | undefined
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mygate-exec-'))
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))
afterEach(async () => {
  clearExecCredentialCache()
  await server?.close()
  server = undefined
})

const V1 = 'client.authentication.k8s.io/v1'
const V1BETA1 = 'client.authentication.k8s.io/v1beta1'

describe('execCredentialSource: reused until expirationTimestamp', () => {
  const exec: ExecConfig = {apiVersion: V1BETA1, command: 'unused'}
  function counted(expiresAt?: string) {
    let runs = 0
    const run = async (): Promise<ExecCredentialStatus> => ({token: `t${++runs}`, ...(expiresAt ? {expirationTimestamp: expiresAt} : {})})
    return {run, runs: () => runs}
  }

  test.each([
    ['no expiry: reused for the life of the process', undefined, '2030-01-01T00:00:00Z', 1],
    ['before the expiry: reused', '2026-12-03T10:15:00Z', '2026-12-03T10:14:59Z', 1],
    ['at the expiry: run again', '2026-12-03T10:15:00Z', '2026-12-03T10:15:00Z', 2],
    ['after the expiry: run again', '2026-12-03T10:15:00Z', '2026-12-03T11:00:00Z', 2],
  ])('%s', async (_name, expiresAt, secondCallAt, expectedRuns) => {
    let now = Date.parse('2026-12-03T10:00:00Z')
    const plugin = counted(expiresAt)
    const source = execCredentialSource({...exec, command: `c-${_name}`}, {user: 'u', run: plugin.run, now: () => now})
    await source.get()
    now = Date.parse(secondCallAt)
    await source.get()
    expect(plugin.runs()).toBe(expectedRuns)
  })

  test('refresh (after a 401) runs the plugin again; concurrent callers share one run; a failed run is not kept', async () => {
    const plugin = counted()
    const source = execCredentialSource({...exec, command: 'c-refresh'}, {user: 'u', run: plugin.run})
    const [a, b] = await Promise.all([source.get(), source.get()])
    expect([a.token, b.token, plugin.runs()]).toEqual(['t1', 't1', 1])
    expect((await source.get({refresh: true})).token).toBe('t2')
    let fail = true
    const flaky = execCredentialSource({...exec, command: 'c-flaky'}, {user: 'u', run: async () => (fail ? Promise.reject(new Error('boom')) : {token: 'ok'})})
    await expect(flaky.get()).rejects.toThrow('boom')
    fail = false
    expect((await flaky.get()).token).toBe('ok')
  })
})

describe('parseExecCredential: what a plugin printed', () => {
  test.each([
    ['{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"t"}}', undefined],
    ['{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"C","clientKeyData":"K"}}', undefined],
    ['not json', 'printed no ExecCredential (not JSON)'],
    ['{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"t"}}', 'printed ExecCredential client.authentication.k8s.io/v1beta1, not ExecCredential client.authentication.k8s.io/v1'],
    ['{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}}', 'returned neither a token nor a client certificate'],
    ['{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"C"}}', 'returned a client certificate without its key'],
    ['{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"t","expirationTimestamp":"later"}}', 'returned expirationTimestamp "later", which is not a time'],
  ])('%s -> %s', (stdout, problem) => {
    if (problem === undefined) expect(() => parseExecCredential(stdout, V1, 'the plugin')).not.toThrow()
    else expect(() => parseExecCredential(stdout, V1, 'the plugin')).toThrow(`the plugin ${problem}`)
  })
})

describe('a real plugin, run by the client as kubectl runs it', () => {
  async function clientFor(exec: ExecConfig, name: string): Promise<KubeClient> {
    const kubeconfigPath = join(dir, `${name}.yaml`)
    await writeKubeconfigFile(kubeconfigPath, {
      clusters: [{name: 'c', cluster: {server: server!.url, extensions: [{name: 'client.authentication.k8s.io/exec', extension: {audience: 'mygate-test'}}]}}],
      users: [{name: 'u', user: {exec}}],
      contexts: [{name: 'ctx', context: {cluster: 'c', user: 'u'}}],
    })
    return KubeClient.connect({kubeconfigPath, context: 'ctx'}, {interactive: false})
  }
  const echoAuthorization = () => (request: {headers: Record<string, unknown>}, res: import('node:http').ServerResponse) => (json(res, 200, {kind: 'ConfigMap', apiVersion: 'v1', metadata: {name: 'a', annotations: {auth: String(request.headers.authorization)}}}), true)
  const authOf = async (client: KubeClient) => (await client.get('v1', 'ConfigMap', 'a', 'default'))?.metadata.annotations?.auth

  test.each([V1, V1BETA1])('%s: its token is the bearer, reused while valid; KUBERNETES_EXEC_INFO and env reach it', async (apiVersion) => {
    server = await startScriptedApiServer(echoAuthorization())
    const plugin = writeTestPlugin(dir, `token-${apiVersion.split('/')[1]}`, {token: 'tok', expiresInMs: 60_000})
    const client = await clientFor({apiVersion, command: plugin.command, env: [{name: 'PLUGIN_SETTING', value: 'on'}], interactiveMode: 'Never', provideClusterInfo: true}, `token-${apiVersion.split('/')[1]}`)
    expect(await authOf(client)).toBe('Bearer tok-1')
    expect(await authOf(client)).toBe('Bearer tok-1')
    const runs = plugin.runs()
    expect(runs).toHaveLength(1)
    expect(runs[0].env.PLUGIN_SETTING).toBe('on')
    expect(runs[0].info).toEqual({apiVersion, kind: 'ExecCredential', spec: {interactive: false, cluster: {server: server.url, config: {audience: 'mygate-test'}}}})
    // Every request carried the plugin's token (discovery included).
    expect(server.seen.every((r) => r.headers.authorization === 'Bearer tok-1')).toBe(true)
  })

  test('an expired credential is replaced by a new run', async () => {
    server = await startScriptedApiServer(echoAuthorization())
    const plugin = writeTestPlugin(dir, 'short-lived', {token: 'tok', expiresInMs: 300})
    const client = await clientFor({apiVersion: V1BETA1, command: plugin.command}, 'short-lived')
    expect(await authOf(client)).toBe('Bearer tok-1')
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(await authOf(client)).toBe('Bearer tok-2')
  })

  test('a 401 re-runs the plugin once and repeats the request with the fresh token', async () => {
    server = await startScriptedApiServer((request, res) => {
      if (request.headers.authorization === 'Bearer revoked-1') return (status(res, 401, 'Unauthorized'), true)
      return echoAuthorization()(request, res)
    })
    const plugin = writeTestPlugin(dir, 'revoked', {token: 'revoked', expiresInMs: 60_000})
    const client = await clientFor({apiVersion: V1BETA1, command: plugin.command}, 'revoked')
    expect(await authOf(client)).toBe('Bearer revoked-2')
    expect(plugin.runs()).toHaveLength(2)
  })

  test('without provideClusterInfo the plugin learns nothing of the cluster', async () => {
    server = await startScriptedApiServer(echoAuthorization())
    const plugin = writeTestPlugin(dir, 'private', {token: 'p'})
    const client = await clientFor({apiVersion: V1BETA1, command: plugin.command}, 'private')
    await authOf(client)
    expect(plugin.runs()[0].info.spec).toEqual({interactive: false})
  })

  test.each([
    ['a plugin that is not installed', {command: join('/nonexistent', 'gke-gcloud-auth-plugin'), installHint: 'install it with gcloud components install'}, UsageError, /^the exec plugin of user "u" \(.*gke-gcloud-auth-plugin\) was not found$/, 'install it with gcloud components install'],
    ['a plugin that fails', {exitCode: 3}, ExternalError, /^the exec plugin of user "u" \(.*fails\.mjs\) exited with code 3$/, undefined],
    ['a plugin that answers in another apiVersion', {apiVersion: V1}, ExternalError, /printed ExecCredential client\.authentication\.k8s\.io\/v1, not ExecCredential client\.authentication\.k8s\.io\/v1beta1$/, undefined],
  ])('%s: one clear error', async (name, setup, type, message, hint) => {
    server = await startScriptedApiServer(echoAuthorization())
    const slug = name.split(' ').at(-1)!
    const command = 'command' in setup ? setup.command : writeTestPlugin(dir, slug, {token: 't', ...setup}).command
    const client = await clientFor({apiVersion: V1BETA1, command, ...('installHint' in setup ? {installHint: setup.installHint} : {})}, slug)
    const failure = await authOf(client).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(type)
    expect((failure as Error).message).toMatch(message)
    if (hint) expect((failure as UsageError).hint).toBe(hint)
  })
})
