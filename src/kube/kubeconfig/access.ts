import {readFile} from 'node:fs/promises'

import {UsageError} from '../../errors.js'
import {execConfigProblem, execCredentialSource, type ExecClusterInfo, type ExecCredentialSource} from './exec-plugin.js'
import {type LoadedKubeconfig, pathFromKubeconfig} from './files.js'

/**
 * One kubeconfig context turned into what a transport needs: the server, the TLS settings and a
 * source of credentials. Every credential kind mygate supports is read here and nowhere else:
 * bearer token, token file, client certificate and key (inline data or files), basic auth, the CA
 * (data or file), insecure-skip-tls-verify, tls-server-name, impersonation, and exec plugins
 * (client.authentication.k8s.io/v1 and v1beta1). Relative file paths resolve against the folder of
 * the kubeconfig file that holds the entry, as kubectl resolves them.
 *
 * Not supported, and refused with a clear line rather than ignored: `auth-provider` (kubectl
 * dropped its gcp and azure providers in 1.26; an exec plugin replaces them) and `proxy-url`.
 */

export interface ClusterAccess {
  /** The context's name. */
  context: string
  /** The API server URL, without a trailing slash. */
  server: string
  tls: {
    /** PEM bundle to trust instead of the system roots. */
    ca?: Buffer
    insecureSkipVerify: boolean
    serverName?: string
  }
  /** Whether credentials can be refreshed (an exec plugin): a 401 is then worth one more try. */
  refreshable: boolean
  /** The credentials to send; `refresh` after a 401 re-runs an exec plugin. */
  credentials(options?: {refresh?: boolean}): Promise<Credentials>
}

export interface Credentials {
  /** Authorization and Impersonate-* headers. */
  headers: Record<string, string>
  /** A client certificate (PEM), from the kubeconfig or an exec plugin. */
  clientCertificate?: {cert: Buffer | string; key: Buffer | string}
}

/** client-go re-reads a token file at most once a minute (CachedFileTokenSource). */
const TOKEN_FILE_CACHE_MS = 60_000

const base64 = (value: string) => Buffer.from(value, 'base64')

async function readReferenced(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'fix the path in the kubeconfig, or use the -data form of the field',
      cause: error,
    })
  }
}

export interface ClusterAccessOptions {
  /** Whether an exec plugin may prompt. Default: stdin is a TTY. */
  interactive?: boolean
  processEnv?: NodeJS.ProcessEnv
}

/** Resolves a context of a loaded kubeconfig; a context, cluster or user that is missing is a UsageError. */
export async function clusterAccess(config: LoadedKubeconfig, contextName: string, options: ClusterAccessOptions = {}): Promise<ClusterAccess> {
  const where = config.files.join(', ')
  const context = config.contexts.get(contextName)
  if (!context) {
    const names = [...config.contexts.keys()]
    throw new UsageError(`context "${contextName}" is not in ${where}`, {hint: `use one of ${names.join(', ') || '(none)'}`})
  }
  const clusterName = context.entry.context?.cluster
  const cluster = clusterName ? config.clusters.get(clusterName) : undefined
  if (!cluster || typeof cluster.entry.cluster?.server !== 'string') {
    throw new UsageError(`context "${contextName}" names no cluster in ${where}`, {hint: 'fix the kubeconfig (kubectl config view) or use another context'})
  }
  const userName = context.entry.context?.user
  const user = userName ? config.users.get(userName) : undefined
  if (userName && !user) {
    throw new UsageError(`context "${contextName}" refers to user "${userName}", which ${where} does not define`, {
      hint: 'fix the kubeconfig (kubectl config view) or use another context',
    })
  }
  const c = cluster.entry.cluster
  if (c['proxy-url'] !== undefined) {
    throw new UsageError(`cluster "${clusterName}" uses proxy-url, which mygate does not support`, {hint: 'reach the API server directly, or use a context without a proxy'})
  }
  const ca = c['certificate-authority-data']
    ? base64(c['certificate-authority-data'])
    : c['certificate-authority']
      ? await readReferenced(pathFromKubeconfig(c['certificate-authority'], cluster.file), `the certificate-authority of cluster "${clusterName}"`)
      : undefined

  const u = user?.entry.user ?? {}
  const label = userName ?? '(none)'
  if (u['auth-provider'] !== undefined) {
    throw new UsageError(`user "${label}" uses auth-provider "${u['auth-provider']?.name ?? ''}", which mygate does not support`, {
      hint: 'use an exec credential plugin (client.authentication.k8s.io/v1), as kubectl 1.26 and later require',
    })
  }

  const headers: Record<string, string> = {}
  if (u.username !== undefined || u.password !== undefined) headers.Authorization = `Basic ${Buffer.from(`${u.username ?? ''}:${u.password ?? ''}`).toString('base64')}`
  if (u.as) headers['Impersonate-User'] = u.as
  if (u['as-uid']) headers['Impersonate-Uid'] = u['as-uid']
  // Node joins repeated header values with ", ", which the API server splits again.
  if (Array.isArray(u['as-groups']) && u['as-groups'].length > 0) headers['Impersonate-Group'] = u['as-groups'].join(', ')

  let clientCertificate: Credentials['clientCertificate']
  if (u['client-certificate-data'] || u['client-certificate']) {
    const cert = u['client-certificate-data']
      ? base64(u['client-certificate-data'])
      : await readReferenced(pathFromKubeconfig(String(u['client-certificate']), user!.file), `the client-certificate of user "${label}"`)
    const key = u['client-key-data']
      ? base64(u['client-key-data'])
      : u['client-key']
        ? await readReferenced(pathFromKubeconfig(String(u['client-key']), user!.file), `the client-key of user "${label}"`)
        : undefined
    if (!key) throw new UsageError(`user "${label}" has a client certificate but no client key`, {hint: 'add client-key or client-key-data'})
    clientCertificate = {cert, key}
  }

  let tokenOf: () => Promise<string | undefined> = async () => u.token
  if (!u.token && u.tokenFile) {
    const path = pathFromKubeconfig(u.tokenFile, user!.file)
    let cached: {token: string; at: number} | undefined
    tokenOf = async () => {
      if (!cached || Date.now() - cached.at > TOKEN_FILE_CACHE_MS) {
        cached = {token: (await readReferenced(path, `the tokenFile of user "${label}"`)).toString('utf8').trim(), at: Date.now()}
      }
      return cached.token
    }
  }

  let exec: ExecCredentialSource | undefined
  if (u.exec) {
    const problem = execConfigProblem(u.exec, label)
    if (problem) throw problem
    const extension = c.extensions?.find((e) => e?.name === 'client.authentication.k8s.io/exec')?.extension
    const info: ExecClusterInfo = {
      server: c.server,
      ...(c['tls-server-name'] ? {'tls-server-name': c['tls-server-name']} : {}),
      ...(c['insecure-skip-tls-verify'] ? {'insecure-skip-tls-verify': true} : {}),
      ...(ca ? {'certificate-authority-data': ca.toString('base64')} : {}),
      ...(extension !== undefined ? {config: extension} : {}),
    }
    // kubectl resolves an exec command that contains a path separator against the file's folder.
    const command = u.exec.command.includes('/') ? pathFromKubeconfig(u.exec.command, user!.file) : u.exec.command
    exec = execCredentialSource({...u.exec, command}, {user: label, cluster: info, interactive: options.interactive, processEnv: options.processEnv})
  }

  return {
    context: contextName,
    server: c.server.replace(/\/$/, ''),
    tls: {...(ca ? {ca} : {}), insecureSkipVerify: c['insecure-skip-tls-verify'] === true, ...(c['tls-server-name'] ? {serverName: c['tls-server-name']} : {})},
    refreshable: exec !== undefined,
    async credentials({refresh = false} = {}) {
      const result: Credentials = {headers: {...headers}, ...(clientCertificate ? {clientCertificate} : {})}
      const token = await tokenOf()
      if (token) result.headers.Authorization = `Bearer ${token}`
      if (exec) {
        // A plugin's credential wins over static ones, as in client-go.
        const status = await exec.get({refresh})
        if (status.token) result.headers.Authorization = `Bearer ${status.token}`
        if (status.clientCertificateData && status.clientKeyData) result.clientCertificate = {cert: status.clientCertificateData, key: status.clientKeyData}
      }
      return result
    },
  }
}
