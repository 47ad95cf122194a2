import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {UsageError} from '../../../src/errors.js'
import {clusterAccess} from '../../../src/kube/kubeconfig/access.js'
import {kubeconfigFiles, loadKubeconfig, writeKubeconfigFile} from '../../../src/kube/kubeconfig/files.js'
import type {KubeconfigContents, KubeconfigUser} from '../../../src/kube/kubeconfig/format.js'

/** The kubeconfig module: $KUBECONFIG resolution and merging as kubectl does it, and every credential kind. */

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mygate-kubeconfig-'))
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const file = async (name: string, contents: KubeconfigContents) => {
  const path = join(dir, name)
  await writeKubeconfigFile(path, contents)
  return path
}

const single = (user: KubeconfigUser['user'], cluster: Partial<KubeconfigContents['clusters'][0]['cluster']> = {}): KubeconfigContents => ({
  clusters: [{name: 'c', cluster: {server: 'https://api.example:6443/', ...cluster}}],
  users: [{name: 'u', user}],
  contexts: [{name: 'ctx', context: {cluster: 'c', user: 'u'}}],
})

describe('kubeconfigFiles: the one resolver of --kubeconfig and $KUBECONFIG', () => {
  test.each([
    ['/x/explicit', {KUBECONFIG: '/a:/b'}, ['/x/explicit']],
    [undefined, {KUBECONFIG: '/a:/b'}, ['/a', '/b']],
    [undefined, {KUBECONFIG: '/a::/b:'}, ['/a', '/b']],
    [undefined, {KUBECONFIG: '', HOME: '/home/me'}, ['/home/me/.kube/config']],
    [undefined, {HOME: '/home/me'}, ['/home/me/.kube/config']],
  ])('--kubeconfig %s with %j -> %j', (explicit, env, expected) => {
    expect(kubeconfigFiles(explicit, env)).toEqual(expected)
  })
})

describe('loadKubeconfig: merged as kubectl merges a $KUBECONFIG list', () => {
  test('the first file that defines a name wins; the first current-context set wins; missing files are skipped', async () => {
    const first = await file('first.yaml', {...single({token: 'first'}), currentContext: 'ctx'})
    const second = await file('second.yaml', {
      clusters: [{name: 'c', cluster: {server: 'https://second'}}, {name: 'c2', cluster: {server: 'https://c2'}}],
      users: [{name: 'u', user: {token: 'second'}}],
      contexts: [{name: 'ctx2', context: {cluster: 'c2', user: 'u'}}],
      currentContext: 'ctx2',
    })
    const loaded = await loadKubeconfig({processEnv: {KUBECONFIG: [join(dir, 'missing.yaml'), first, second].join(':')}})
    expect(loaded.clusters.get('c')?.entry.cluster.server).toBe('https://api.example:6443/')
    expect(loaded.users.get('u')?.entry.user.token).toBe('first')
    expect([...loaded.contexts.keys()]).toEqual(['ctx', 'ctx2'])
    expect(loaded.currentContext).toBe('ctx')
    expect(loaded.clusters.get('c2')?.file).toBe(second)
  })

  test.each([
    [{explicit: '/nonexistent/kubeconfig'}, 'kubeconfig /nonexistent/kubeconfig does not exist'],
    [{processEnv: {KUBECONFIG: '/nonexistent/a:/nonexistent/b'}}, 'no kubeconfig found (looked at /nonexistent/a, /nonexistent/b)'],
  ])('%j -> %s', async (options, message) => {
    const attempt = loadKubeconfig(options)
    await expect(attempt).rejects.toThrow(UsageError)
    await expect(attempt).rejects.toThrow(message)
  })
})

describe('clusterAccess: every credential kind, read in one place', () => {
  const access = async (contents: KubeconfigContents, name = 'k.yaml') => clusterAccess(await loadKubeconfig({explicit: await file(name, contents)}), 'ctx')

  test('a bearer token; the server loses its trailing slash', async () => {
    const a = await access(single({token: 'abc'}))
    expect(a.server).toBe('https://api.example:6443')
    expect((await a.credentials()).headers).toEqual({Authorization: 'Bearer abc'})
  })

  test('a token file, relative to the kubeconfig file that names it', async () => {
    mkdirSync(join(dir, 'nested'), {recursive: true})
    writeFileSync(join(dir, 'nested', 'token'), 'from-file\n')
    const a = await access(single({tokenFile: 'token'}), 'nested/k.yaml')
    expect((await a.credentials()).headers.Authorization).toBe('Bearer from-file')
  })

  test('basic auth and impersonation headers', async () => {
    const a = await access(single({username: 'admin', password: 's3cret', as: 'alice', 'as-uid': '42', 'as-groups': ['dev', 'ops']}))
    expect((await a.credentials()).headers).toEqual({
      Authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}`,
      'Impersonate-User': 'alice',
      'Impersonate-Uid': '42',
      'Impersonate-Group': 'dev, ops',
    })
  })

  test('client certificate and key, as data and as files; the CA as data and as a file; tls-server-name; insecure', async () => {
    writeFileSync(join(dir, 'client.crt'), 'CERT-FROM-FILE')
    writeFileSync(join(dir, 'client.key'), 'KEY-FROM-FILE')
    writeFileSync(join(dir, 'ca.crt'), 'CA-FROM-FILE')
    const fromFiles = await access(single({'client-certificate': 'client.crt', 'client-key': join(dir, 'client.key')}, {'certificate-authority': 'ca.crt', 'tls-server-name': 'api.internal'}))
    expect(String((await fromFiles.credentials()).clientCertificate?.cert)).toBe('CERT-FROM-FILE')
    expect(String((await fromFiles.credentials()).clientCertificate?.key)).toBe('KEY-FROM-FILE')
    expect(String(fromFiles.tls.ca)).toBe('CA-FROM-FILE')
    expect(fromFiles.tls).toMatchObject({insecureSkipVerify: false, serverName: 'api.internal'})
    const b64 = (text: string) => Buffer.from(text).toString('base64')
    const fromData = await access(single({'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY')}, {'certificate-authority-data': b64('CA'), 'insecure-skip-tls-verify': true}))
    expect(String((await fromData.credentials()).clientCertificate?.cert)).toBe('CERT')
    expect(String(fromData.tls.ca)).toBe('CA')
    expect(fromData.tls.insecureSkipVerify).toBe(true)
  })

  test.each([
    ['a context that is not there', {...single({token: 'x'}), contexts: [{name: 'other', context: {cluster: 'c', user: 'u'}}]}, /^context "ctx" is not in .*k\.yaml$/, 'use one of other'],
    ['a context naming a missing cluster', {...single({token: 'x'}), clusters: []}, /^context "ctx" names no cluster in /, undefined],
    ['a context naming a missing user', {...single({token: 'x'}), users: []}, /^context "ctx" refers to user "u", which .* does not define$/, undefined],
    ['a certificate without its key', single({'client-certificate-data': 'Q0VSVA=='}), /^user "u" has a client certificate but no client key$/, 'add client-key or client-key-data'],
    ['a CA file that is missing', single({token: 'x'}, {'certificate-authority': 'nope.crt'}), /^cannot read the certificate-authority of cluster "c" .*nope\.crt: ENOENT$/, undefined],
    ['auth-provider', single({'auth-provider': {name: 'gcp'}}), /^user "u" uses auth-provider "gcp", which mygate does not support$/, undefined],
    ['proxy-url', single({token: 'x'}, {'proxy-url': 'http://proxy:3128'}), /^cluster "c" uses proxy-url, which mygate does not support$/, undefined],
    ['an exec plugin of a removed apiVersion', single({exec: {apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'x'}}), /^user "u" has an exec plugin with apiVersion "client.authentication.k8s.io\/v1alpha1"$/, undefined],
    ['a v1 exec plugin without interactiveMode', single({exec: {apiVersion: 'client.authentication.k8s.io/v1', command: 'x'}}), /without interactiveMode$/, 'set interactiveMode to Never, IfAvailable or Always'],
  ])('%s is one clear UsageError', async (_name, contents, message, hint) => {
    const failure = await access(contents as KubeconfigContents).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(UsageError)
    expect((failure as UsageError).message).toMatch(message)
    if (hint) expect((failure as UsageError).hint).toBe(hint)
  })
})
