import {execa} from 'execa'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:https'
import type {AddressInfo} from 'node:net'
import type {TLSSocket} from 'node:tls'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {ExternalError} from '../../../src/errors.js'
import {KubeClient} from '../../../src/kube/client.js'
import {clearExecCredentialCache} from '../../../src/kube/kubeconfig/exec-plugin.js'
import {writeKubeconfigFile} from '../../../src/kube/kubeconfig/files.js'
import type {KubeconfigContents} from '../../../src/kube/kubeconfig/format.js'
import {writeTestPlugin} from '../../helpers/exec-plugin.js'
import {findOnPath} from '../../helpers/programs.js'

/**
 * TLS credentials end to end: a real HTTPS API server whose certificate is issued by a throwaway
 * CA (openssl) for the name api.internal only, asking for client certificates from the same CA.
 * The server answers with the common name of the client certificate it was shown.
 */

let dir: string
let server: Server
let url: string
const pem = (name: string) => readFileSync(join(dir, name))
const b64 = (name: string) => pem(name).toString('base64')

async function openssl(...args: string[]): Promise<void> {
  await execa('openssl', args, {cwd: dir})
}

beforeAll(async () => {
  if (!findOnPath('openssl')) throw new Error('openssl is not on PATH: the TLS credential test makes a throwaway CA with it')
  dir = mkdtempSync(join(tmpdir(), 'mygate-tls-'))
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=mygate-test-ca')
  const issue = async (name: string, subject: string, extensions?: string) => {
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject)
    if (extensions) writeFileSync(join(dir, `${name}.ext`), extensions)
    await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...(extensions ? ['-extfile', `${name}.ext`] : []))
  }
  await issue('server', '/CN=api.internal', 'subjectAltName=DNS:api.internal\n')
  await issue('alice', '/CN=alice')
  await issue('bob', '/CN=bob')
  server = createServer({key: pem('server.key'), cert: pem('server.crt'), ca: pem('ca.crt'), requestCert: true, rejectUnauthorized: false}, (req, res) => {
    const socket = req.socket as TLSSocket
    const peer = socket.getPeerCertificate()
    res.writeHead(200, {'Content-Type': 'application/json'})
    if (req.url === '/api/v1') return res.end(JSON.stringify({resources: [{name: 'configmaps', kind: 'ConfigMap', namespaced: true}]}))
    res.end(JSON.stringify({kind: 'ConfigMap', apiVersion: 'v1', metadata: {name: 'who', annotations: {cn: peer?.subject?.CN ?? '', authorized: String(socket.authorized)}}}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  clearExecCredentialCache()
  await new Promise<void>((resolve) => server?.close(() => resolve()))
  if (dir) rmSync(dir, {recursive: true, force: true})
})

async function whoAmI(name: string, cluster: Partial<KubeconfigContents['clusters'][0]['cluster']>, user: KubeconfigContents['users'][0]['user']) {
  const kubeconfigPath = join(dir, `${name}.yaml`)
  await writeKubeconfigFile(kubeconfigPath, {
    clusters: [{name: 'c', cluster: {server: url, ...cluster}}],
    users: [{name: 'u', user}],
    contexts: [{name: 'ctx', context: {cluster: 'c', user: 'u'}}],
  })
  const client = await KubeClient.connect({kubeconfigPath, context: 'ctx'}, {retry: false})
  try {
    return (await client.get('v1', 'ConfigMap', 'who', 'default'))?.metadata.annotations
  } finally {
    client.close()
  }
}

describe('TLS to the API server', () => {
  test('CA and client certificate as files (relative to the kubeconfig), tls-server-name for the certificate name', async () => {
    expect(await whoAmI('files', {'certificate-authority': 'ca.crt', 'tls-server-name': 'api.internal'}, {'client-certificate': 'alice.crt', 'client-key': 'alice.key'})).toEqual({cn: 'alice', authorized: 'true'})
  })

  test('CA and client certificate as data', async () => {
    expect(await whoAmI('data', {'certificate-authority-data': b64('ca.crt'), 'tls-server-name': 'api.internal'}, {'client-certificate-data': b64('alice.crt'), 'client-key-data': b64('alice.key')})).toEqual({cn: 'alice', authorized: 'true'})
  })

  test('a client certificate handed out by an exec plugin', async () => {
    const plugin = writeTestPlugin(dir, 'cert-plugin', {clientCertificateData: pem('bob.crt').toString(), clientKeyData: pem('bob.key').toString()})
    const who = await whoAmI('exec', {'certificate-authority-data': b64('ca.crt'), 'tls-server-name': 'api.internal'}, {exec: {apiVersion: 'client.authentication.k8s.io/v1', command: plugin.command, interactiveMode: 'Never'}})
    expect(who).toEqual({cn: 'bob', authorized: 'true'})
  })

  test('insecure-skip-tls-verify connects without the CA', async () => {
    expect(await whoAmI('insecure', {'insecure-skip-tls-verify': true}, {'client-certificate-data': b64('alice.crt'), 'client-key-data': b64('alice.key')})).toEqual({cn: 'alice', authorized: 'true'})
  })

  test.each([
    ['without the CA the server is not trusted', {}],
    ['without tls-server-name the certificate does not name 127.0.0.1', {'certificate-authority': 'ca.crt'}],
  ])('%s: one ExternalError', async (name, cluster) => {
    const failure = await whoAmI(name.split(' ')[1], cluster, {token: 'x'}).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ExternalError)
    expect((failure as Error).message).toMatch(/cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID)\)/)
  })
})
