import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {decodeEksToken} from '../../src/auth/eks-token.js'
import {runCli} from '../helpers/cli.js'

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
