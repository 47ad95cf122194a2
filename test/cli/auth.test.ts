import {execa} from 'execa'
import {readdirSync, realpathSync} from 'node:fs'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {createServer} from 'node:https'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {decodeEksToken} from '../../src/auth/eks-token.js'
import {eksKubeconfig} from '../../src/providers/aws/kubeconfig.js'
import {writeKubeconfigFile} from '../../src/kube/kubeconfig/files.js'
import {CLI_BIN, runCli} from '../helpers/cli.js'
import {findOnPath} from '../helpers/moto.js'

/** A real kubectl binary: `kubectl` on this image is gcloud's dispatcher, the versions sit beside it. */
function realKubectl(): string {
  const dispatcher = findOnPath('kubectl')
  if (!dispatcher) throw new Error('kubectl is not on PATH: the exec-plugin test needs a real kubectl')
  const folder = dirname(realpathSync(dispatcher))
  const versions = readdirSync(folder).filter((name) => /^kubectl\.1\.\d+$/.test(name)).sort()
  return versions.length > 0 ? join(folder, versions.at(-1)!) : dispatcher
}

/** The built `mygate auth eks-token`, as kubectl runs it: presigning is local, no network needed. */

let home: string
// An empty HOME (no ~/.aws), no instance metadata: only what each test passes counts.
const isolated = () => ({
  HOME: home,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_REGION: undefined,
})

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mygate-auth-'))
})
afterAll(async () => {
  await rm(home, {recursive: true, force: true})
})

describe('mygate auth eks-token', () => {
  test('prints a bare ExecCredential whose token is the presigned STS URL for the cluster', async () => {
    const result = await runCli(['auth', 'eks-token', '--cluster', 'mygate-demo-eu-west-1', '--region', 'eu-west-1'], {
      env: {...isolated(), AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session'},
    })
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    const credential = JSON.parse(result.stdout)
    expect(Object.keys(credential).sort()).toEqual(['apiVersion', 'kind', 'spec', 'status'])
    expect(credential).toMatchObject({kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', spec: {}})
    const expires = Date.parse(credential.status.expirationTimestamp)
    expect(expires - Date.now()).toBeGreaterThan(13 * 60_000)
    expect(expires - Date.now()).toBeLessThanOrEqual(14 * 60_000)
    const url = new URL(decodeEksToken(credential.status.token))
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com')
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/sts\/aws4_request$/)
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session')
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id')
  })

  test('without credentials: one line naming the fix, exit code 2, nothing on stdout', async () => {
    const result = await runCli(['auth', 'eks-token', '--cluster', 'c1', '--region', 'eu-west-1'], {env: isolated()})
    expect(result.exitCode).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim()).toMatch(/^Error: no AWS credentials found \(.*AWS_PROFILE.*AWS_ACCESS_KEY_ID/)
  })

  test('without --region or AWS_REGION: a usage error naming both', async () => {
    const result = await runCli(['auth', 'eks-token', '--cluster', 'c1'], {env: isolated()})
    expect(result.exitCode).toBe(2)
    expect(result.stderr.trim()).toBe('Error: no AWS region given for the EKS token (pass --region, or set AWS_REGION)')
  })
})

describe('kubectl with an EKS kubeconfig written by mygate', () => {
  test('runs mygate auth eks-token and sends its token as the bearer', async () => {
    // client-go runs exec plugins only for TLS clusters, so the fake API server speaks HTTPS.
    if (!findOnPath('openssl')) throw new Error('openssl is not on PATH: the exec-plugin test makes a throwaway TLS certificate with it')
    const key = join(home, 'tls.key')
    const cert = join(home, 'tls.crt')
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
    const seen: string[] = []
    const server = createServer({key: await readFile(key), cert: await readFile(cert)}, (request, response) => {
      seen.push(request.headers.authorization ?? '')
      response.writeHead(401, {'content-type': 'application/json'})
      response.end(JSON.stringify({kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401}))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const file = join(home, 'kubeconfig', 'demo.yaml')
    try {
      await writeKubeconfigFile(
        file,
        eksKubeconfig(
          [{name: 'mygate-demo-eu-west-1', region: 'eu-west-1', endpoint: `https://127.0.0.1:${port}`, certificateAuthorityData: (await readFile(cert)).toString('base64')}],
          {command: CLI_BIN},
        ),
      )
      await execa(realKubectl(), ['--kubeconfig', file, 'get', 'namespaces', '--request-timeout=20s'], {
        env: {...isolated(), AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', PATH: process.env.PATH},
        reject: false,
        timeout: 60_000,
      })
    } finally {
      server.close()
    }
    expect(seen.length).toBeGreaterThan(0)
    expect(seen[0]).toMatch(/^Bearer k8s-aws-v1\./)
    const url = new URL(decodeEksToken(seen[0].slice('Bearer '.length)))
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com')
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id')
  })
})
