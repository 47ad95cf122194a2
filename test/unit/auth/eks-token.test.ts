import {createHash, createHmac} from 'node:crypto'
import {describe, expect, test} from 'vitest'

import {decodeEksToken, encodeEksToken, mintEksToken, presignEksTokenUrl} from '../../../src/auth/eks-token.js'
import {UsageError} from '../../../src/errors.js'

const credentials = {accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'}
const now = new Date('2026-11-23T10:20:30.456Z')
const CLUSTER = 'mygate-demo-eu-west-1'

/**
 * An independent SigV4 (query) verifier written from the AWS documentation, so the test checks
 * the signature itself and not only the URL's shape.
 */
function expectedSignature(url: URL, headers: Record<string, string>, secret: string): string {
  const rfc3986 = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  const params = [...url.searchParams.entries()].filter(([key]) => key !== 'X-Amz-Signature')
  const canonicalQuery = params
    .map(([key, value]) => [rfc3986(key), rfc3986(value)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&')
  const signedHeaders = url.searchParams.get('X-Amz-SignedHeaders')!
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((name) => `${name}:${headers[name]}\n`)
    .join('')
  const emptyPayload = createHash('sha256').update('').digest('hex')
  const canonicalRequest = ['GET', '/', canonicalQuery, canonicalHeaders, signedHeaders, emptyPayload].join('\n')
  const [, date, region, service] = url.searchParams.get('X-Amz-Credential')!.split('/')
  const scope = `${date}/${region}/${service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', url.searchParams.get('X-Amz-Date'), scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n')
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(date).digest()
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest()
  return createHmac('sha256', key).update(stringToSign).digest('hex')
}

describe('presigned STS GetCallerIdentity URL', () => {
  test('has the documented form', async () => {
    const url = new URL(await presignEksTokenUrl({clusterName: CLUSTER, region: 'eu-west-1', credentials, now}))
    expect(url.protocol).toBe('https:')
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com')
    expect(url.pathname).toBe('/')
    const query = Object.fromEntries(url.searchParams)
    expect(query).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261123/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20261123T102030Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
    })
    expect(query['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/)
    expect(query['X-Amz-Security-Token']).toBeUndefined()
  })

  test('the signature is valid SigV4 over host and x-k8s-aws-id, and depends on the cluster', async () => {
    const url = new URL(await presignEksTokenUrl({clusterName: CLUSTER, region: 'eu-west-1', credentials, now}))
    const signature = url.searchParams.get('X-Amz-Signature')
    expect(signature).toBe(expectedSignature(url, {host: 'sts.eu-west-1.amazonaws.com', 'x-k8s-aws-id': CLUSTER}, credentials.secretAccessKey))
    expect(signature).not.toBe(expectedSignature(url, {host: 'sts.eu-west-1.amazonaws.com', 'x-k8s-aws-id': 'other'}, credentials.secretAccessKey))
  })

  test('temporary credentials add X-Amz-Security-Token', async () => {
    const url = new URL(
      await presignEksTokenUrl({clusterName: CLUSTER, region: 'us-east-1', credentials: {...credentials, sessionToken: 'SESSION/TOKEN+='}, now}),
    )
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('SESSION/TOKEN+=')
    expect(url.host).toBe('sts.us-east-1.amazonaws.com')
  })
})

describe('token', () => {
  test('is k8s-aws-v1. + unpadded base64url of the URL, and decodes back to it', async () => {
    const url = await presignEksTokenUrl({clusterName: CLUSTER, region: 'eu-west-1', credentials, now})
    const token = encodeEksToken(url)
    expect(token.startsWith('k8s-aws-v1.')).toBe(true)
    expect(token.slice('k8s-aws-v1.'.length)).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeEksToken(token)).toBe(url)
  })

  test('mintEksToken returns an ExecCredential expiring 14 minutes after signing', async () => {
    const credential = await mintEksToken({clusterName: CLUSTER, region: 'eu-west-1', credentials, now})
    expect(credential).toMatchObject({
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      spec: {},
      status: {expirationTimestamp: '2026-11-23T10:34:30Z'},
    })
    const url = new URL(decodeEksToken(credential.status.token))
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity')
  })

  test.each([
    [{clusterName: 'bad name', region: 'eu-west-1'}, '--cluster "bad name" is not an EKS cluster name'],
    [{clusterName: CLUSTER, region: 'europe'}, '--region "europe" is not an AWS region name'],
  ])('refuses %o', async (input, message) => {
    await expect(mintEksToken({...input, credentials, now})).rejects.toMatchObject({name: UsageError.name, message})
  })
})
