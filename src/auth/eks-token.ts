import {createHash, createHmac, type Hash, type Hmac} from 'node:crypto'

import {UsageError} from '../errors.js'
import {isMissingCredentials, noCredentialsError} from '../providers/aws/errors.js'
import {AWS_REGION_PATTERN, partitionOf} from '../providers/aws/names.js'
import {silenceNodeVersionWarning} from '../providers/aws/sdk-warning.js'

/**
 * EKS bearer tokens, minted in-process the way `aws eks get-token` (and aws-iam-authenticator)
 * does: a SigV4 query-presigned STS GetCallerIdentity URL whose signed headers include
 * `x-k8s-aws-id: CLUSTER`. The EKS API server calls that URL to learn who we are; the header
 * pins the token to one cluster. Nothing goes over the network here.
 */

export const TOKEN_PREFIX = 'k8s-aws-v1.'
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id'
/** The URL is valid 60 s for STS; EKS accepts the token 15 min, so kubectl renews it after 14. */
export const PRESIGN_EXPIRES_SECONDS = 60
export const TOKEN_LIFETIME_MS = 14 * 60_000

export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

export interface ExecCredential {
  kind: 'ExecCredential'
  apiVersion: 'client.authentication.k8s.io/v1beta1'
  spec: Record<string, never>
  status: {expirationTimestamp: string; token: string}
}

export interface EksTokenOptions {
  clusterName: string
  region: string
  /** Default: the AWS SDK's default chain (env, AWS_PROFILE, SSO, web identity, instance role...). */
  credentials?: AwsCredentials
  /** Signing time; default now. */
  now?: Date
}

type SourceData = string | ArrayBuffer | ArrayBufferView

function bytes(data: SourceData): string | Buffer {
  if (typeof data === 'string') return data
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return Buffer.from(new Uint8Array(data))
}

/** sha256 and HMAC-sha256 in the shape @smithy/signature-v4 expects, on node:crypto. */
class NodeSha256 {
  private hash: Hash | Hmac
  constructor(private readonly secret?: SourceData) {
    this.hash = NodeSha256.start(secret)
  }
  private static start(secret?: SourceData): Hash | Hmac {
    return secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret))
  }
  reset(): void {
    this.hash = NodeSha256.start(this.secret)
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data))
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest())
  }
}

export function stsHostname(region: string): string {
  return partitionOf(region) === 'aws-cn' ? `sts.${region}.amazonaws.com.cn` : `sts.${region}.amazonaws.com`
}

/** The presigned `https://sts.REGION.amazonaws.com/?Action=GetCallerIdentity&...` URL. */
export async function presignEksTokenUrl(options: EksTokenOptions & {credentials: AwsCredentials}): Promise<string> {
  // @smithy/signature-v4 is the AWS SDK's own signer (a dependency of every @aws-sdk client).
  const {SignatureV4} = await import('@smithy/signature-v4')
  const hostname = stsHostname(options.region)
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 'sts',
    sha256: NodeSha256,
    uriEscapePath: true,
  })
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: {Action: 'GetCallerIdentity', Version: '2011-06-15'},
      headers: {host: hostname, [CLUSTER_ID_HEADER]: options.clusterName},
    },
    {expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: options.now ?? new Date()},
  )
  const query = Object.entries(signed.query ?? {})
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join('&')
  return `https://${hostname}/?${query}`
}

/** `k8s-aws-v1.` + base64url(url) without padding. */
export function encodeEksToken(url: string): string {
  return TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url')
}

export function decodeEksToken(token: string): string {
  if (!token.startsWith(TOKEN_PREFIX)) throw new UsageError(`not an EKS token (it does not start with ${TOKEN_PREFIX})`)
  return Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8')
}

/** Resolves credentials through the SDK's default chain, as the aws CLI would. */
export async function defaultAwsCredentials(region: string): Promise<AwsCredentials> {
  silenceNodeVersionWarning()
  const {STSClient} = await import('@aws-sdk/client-sts')
  const client = new STSClient({region})
  try {
    const identity = await client.config.credentials()
    return {accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey, sessionToken: identity.sessionToken}
  } catch (error) {
    if (isMissingCredentials(error)) throw noCredentialsError(error)
    throw error
  } finally {
    client.destroy()
  }
}

/** The ExecCredential kubectl expects from an exec plugin. */
export async function mintEksToken(options: EksTokenOptions): Promise<ExecCredential> {
  if (!/^[0-9A-Za-z][A-Za-z0-9\-_]*$/.test(options.clusterName) || options.clusterName.length > 100) {
    throw new UsageError(`--cluster "${options.clusterName}" is not an EKS cluster name`, {
      hint: 'use the cluster name from the kubeconfig, e.g. mygate-demo-eu-west-1',
    })
  }
  if (!AWS_REGION_PATTERN.test(options.region)) {
    throw new UsageError(`--region "${options.region}" is not an AWS region name`, {hint: 'use a region such as us-east-1'})
  }
  const now = options.now ?? new Date()
  const credentials = options.credentials ?? (await defaultAwsCredentials(options.region))
  const url = await presignEksTokenUrl({...options, credentials, now})
  const expires = new Date(now.getTime() + TOKEN_LIFETIME_MS)
  return {
    kind: 'ExecCredential',
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    spec: {},
    // Second precision with a Z, as aws eks get-token prints it.
    status: {expirationTimestamp: expires.toISOString().replace(/\.\d{3}Z$/, 'Z'), token: encodeEksToken(url)},
  }
}
