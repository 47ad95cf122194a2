import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'

import {errorFromNetwork, errorFromStatus, type KubeStatus} from './api-error.js'

/**
 * A read-only GET client for kubeconfigs whose credentials are inline (a bearer token, client
 * certificate data, a CA bundle or insecure-skip-tls-verify): what the local control plane and
 * most service-account kubeconfigs hold. It exists for `mygate rollout status`, which must answer
 * about as fast as `kubectl get`: @kubernetes/client-node costs ~0.85 s to import, more than the
 * whole status round trip. Anything it cannot handle (exec plugins, auth providers, files) returns
 * undefined from `lightClientFor`, and the caller uses the full KubeClient.
 */

export interface LightClient {
  context: string
  /** GET a path; undefined on 404. */
  get<T>(path: string): Promise<T | undefined>
  close(): void
}

interface Kubeconfig {
  clusters?: Array<{name: string; cluster: {server: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean; 'certificate-authority'?: string}}>
  users?: Array<{name: string; user: Record<string, unknown>}>
  contexts?: Array<{name: string; context: {cluster: string; user: string}}>
}

const INLINE_USER_KEYS = new Set(['token', 'client-certificate-data', 'client-key-data'])

export async function readKubeconfig(path: string): Promise<Kubeconfig | undefined> {
  if (!existsSync(path)) return undefined
  const {parse} = await import('yaml')
  return (parse(await readFile(path, 'utf8')) as Kubeconfig | null) ?? undefined
}

export function contextNames(config: Kubeconfig): string[] {
  return (config.contexts ?? []).map((c) => c.name)
}

export function lightClientFor(config: Kubeconfig, contextName: string): LightClient | undefined {
  const context = config.contexts?.find((c) => c.name === contextName)?.context
  const cluster = config.clusters?.find((c) => c.name === context?.cluster)?.cluster
  const user = config.users?.find((u) => u.name === context?.user)?.user ?? {}
  if (!context || !cluster || cluster['certificate-authority'] !== undefined) return undefined
  if (Object.keys(user).some((key) => !INLINE_USER_KEYS.has(key))) return undefined
  const server = cluster.server.replace(/\/$/, '')
  const secure = server.startsWith('https:')
  const decode = (value: unknown) => (typeof value === 'string' ? Buffer.from(value, 'base64') : undefined)
  const agent = secure
    ? new https.Agent({
        keepAlive: true,
        ca: decode(cluster['certificate-authority-data']),
        cert: decode(user['client-certificate-data']),
        key: decode(user['client-key-data']),
        rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
      })
    : new http.Agent({keepAlive: true})
  const headers: Record<string, string> = {Accept: 'application/json'}
  if (typeof user.token === 'string') headers.Authorization = `Bearer ${user.token}`
  return {
    context: contextName,
    get<T>(path: string) {
      return new Promise<T | undefined>((resolve, reject) => {
        const url = new URL(server + path)
        const req = (secure ? https : http).request(url, {method: 'GET', headers, agent}, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8')
            if (res.statusCode === 404) return resolve(undefined)
            if ((res.statusCode ?? 0) >= 300) {
              let status: KubeStatus | undefined
              try {
                status = JSON.parse(body) as KubeStatus
              } catch {
                status = {message: body.slice(0, 200)}
              }
              return reject(errorFromStatus(res.statusCode ?? 0, status, `GET ${path}`))
            }
            resolve(JSON.parse(body) as T)
          })
          res.on('error', reject)
        })
        req.setTimeout(30_000, () => req.destroy(Object.assign(new Error('request timed out'), {code: 'ETIMEDOUT'})))
        req.on('error', (error: NodeJS.ErrnoException) => reject(errorFromNetwork(error, server, `GET ${path}`)))
        req.end()
      })
    },
    close: () => agent.destroy(),
  }
}
