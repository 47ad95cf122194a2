import {ExternalError, UsageError} from '../../errors.js'
import type {ExecConfig} from './format.js'

/**
 * Exec credential plugins, run as kubectl runs them (client.authentication.k8s.io, see
 * https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins):
 * the command with its args and env added to ours, KUBERNETES_EXEC_INFO holding an ExecCredential
 * whose spec says whether it may prompt (and the cluster, when provideClusterInfo is set), stdout
 * read as an ExecCredential of the same apiVersion. Its stderr is passed through, as kubectl does.
 *
 * A credential is reused until its expirationTimestamp (for the life of the process when it has
 * none), by every client of this process that runs the same plugin for the same cluster; a 401
 * from the server drops it (see `ExecCredentialSource.get({refresh})`), as client-go does.
 */

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const

/** What the plugin may learn of the cluster (ExecCredential spec.cluster, provideClusterInfo). */
export interface ExecClusterInfo {
  server: string
  'tls-server-name'?: string
  'insecure-skip-tls-verify'?: boolean
  /** Base64 PEM, as the kubeconfig holds it (the ExecCredential field is bytes, base64 in JSON). */
  'certificate-authority-data'?: string
  /** The cluster's `client.authentication.k8s.io/exec` extension. */
  config?: unknown
}

export interface ExecCredentialStatus {
  token?: string
  /** PEM. */
  clientCertificateData?: string
  clientKeyData?: string
  expirationTimestamp?: string
}

export interface ExecPluginOptions {
  /** The user entry's name, for messages. */
  user: string
  cluster?: ExecClusterInfo
  /** Whether the plugin may prompt on the terminal. Default: stdin is a TTY. */
  interactive?: boolean
  processEnv?: NodeJS.ProcessEnv
}

/** Pure: the exec config's problems, or undefined when it can be run. */
export function execConfigProblem(exec: ExecConfig, user: string): UsageError | undefined {
  if (!(EXEC_API_VERSIONS as readonly string[]).includes(exec.apiVersion)) {
    return new UsageError(`user "${user}" has an exec plugin with apiVersion "${exec.apiVersion}"`, {
      hint: `use ${EXEC_API_VERSIONS.join(' or ')} (v1alpha1 was removed in Kubernetes 1.24)`,
    })
  }
  if (typeof exec.command !== 'string' || exec.command === '') return new UsageError(`user "${user}" has an exec plugin without a command`)
  // client-go: "interactiveMode must be specified ... to use exec authentication plugin" for v1.
  if (exec.apiVersion === 'client.authentication.k8s.io/v1' && exec.interactiveMode === undefined) {
    return new UsageError(`user "${user}" has a client.authentication.k8s.io/v1 exec plugin without interactiveMode`, {
      hint: 'set interactiveMode to Never, IfAvailable or Always',
    })
  }
  return undefined
}

/** Runs the plugin once and returns the credential it printed. */
export async function runExecPlugin(exec: ExecConfig, options: ExecPluginOptions): Promise<ExecCredentialStatus> {
  const problem = execConfigProblem(exec, options.user)
  if (problem) throw problem
  const mode = exec.interactiveMode ?? 'IfAvailable'
  const interactive = mode !== 'Never' && (options.interactive ?? Boolean(process.stdin.isTTY))
  if (mode === 'Always' && !interactive) {
    throw new UsageError(`the exec plugin of user "${options.user}" (${exec.command}) needs a terminal (interactiveMode Always)`, {
      hint: 'run the command in a terminal, or use a credential that does not prompt',
    })
  }
  const info = {apiVersion: exec.apiVersion, kind: 'ExecCredential', spec: {interactive, ...(exec.provideClusterInfo && options.cluster ? {cluster: options.cluster} : {})}}
  const env: NodeJS.ProcessEnv = {...(options.processEnv ?? process.env), KUBERNETES_EXEC_INFO: JSON.stringify(info)}
  for (const variable of exec.env ?? []) env[variable.name] = variable.value
  const what = `the exec plugin of user "${options.user}" (${exec.command})`

  // Loaded here: most kubeconfigs have no plugin, and the status fast path counts milliseconds.
  const {spawn} = await import('node:child_process')
  const {stdout, exitCode} = await new Promise<{stdout: string; exitCode: number | null}>((resolve, reject) => {
    const child = spawn(exec.command, exec.args ?? [], {env, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'inherit']})
    const chunks: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        reject(new UsageError(`${what} was not found`, {hint: exec.installHint ?? `install ${exec.command} or fix the kubeconfig's exec command`, cause: error}))
      } else reject(new ExternalError(`${what} could not run: ${error.message}`, {cause: error}))
    })
    child.on('close', (code) => resolve({stdout: Buffer.concat(chunks).toString('utf8'), exitCode: code}))
  })
  if (exitCode !== 0) {
    throw new ExternalError(`${what} exited with code ${exitCode}`, {hint: 'run it by hand to see why; its messages are above', details: {command: exec.command, exitCode}})
  }
  return parseExecCredential(stdout, exec.apiVersion, what)
}

/** Pure: the status of the ExecCredential a plugin printed, checked as client-go checks it. */
export function parseExecCredential(stdout: string, apiVersion: string, what: string): ExecCredentialStatus {
  let credential: {apiVersion?: unknown; kind?: unknown; status?: ExecCredentialStatus}
  try {
    credential = JSON.parse(stdout) as typeof credential
  } catch {
    throw new ExternalError(`${what} printed no ExecCredential (not JSON)`)
  }
  if (credential.kind !== 'ExecCredential' || credential.apiVersion !== apiVersion) {
    throw new ExternalError(`${what} printed ${String(credential.kind)} ${String(credential.apiVersion)}, not ExecCredential ${apiVersion}`)
  }
  const status = credential.status ?? {}
  const hasCert = Boolean(status.clientCertificateData) || Boolean(status.clientKeyData)
  if (hasCert && !(status.clientCertificateData && status.clientKeyData)) {
    throw new ExternalError(`${what} returned a client certificate without its key (or a key without its certificate)`)
  }
  if (!status.token && !hasCert) throw new ExternalError(`${what} returned neither a token nor a client certificate`)
  if (status.expirationTimestamp !== undefined && Number.isNaN(Date.parse(status.expirationTimestamp))) {
    throw new ExternalError(`${what} returned expirationTimestamp "${status.expirationTimestamp}", which is not a time`)
  }
  return status
}

/** A cached credential is good while now < expirationTimestamp (forever without one). */
export function isCredentialValid(status: ExecCredentialStatus, now: number): boolean {
  return status.expirationTimestamp === undefined || now < Date.parse(status.expirationTimestamp)
}

export interface ExecCredentialSource {
  /** The cached credential while valid, else a fresh one; `refresh` forces a new run (after a 401). */
  get(options?: {refresh?: boolean}): Promise<ExecCredentialStatus>
}

interface CacheEntry {
  status?: ExecCredentialStatus
  running?: Promise<ExecCredentialStatus>
}

/** Shared by every client of the process: one plugin run serves all of them. */
const cache = new Map<string, CacheEntry>()

/** A cached source of credentials from one exec plugin for one cluster. */
export function execCredentialSource(exec: ExecConfig, options: ExecPluginOptions & {now?: () => number; run?: typeof runExecPlugin}): ExecCredentialSource {
  const key = JSON.stringify([exec, exec.provideClusterInfo ? options.cluster : undefined])
  const now = options.now ?? Date.now
  const run = options.run ?? runExecPlugin
  return {
    async get({refresh = false} = {}) {
      let entry = cache.get(key)
      if (!entry) cache.set(key, (entry = {}))
      if (!refresh && entry.status && isCredentialValid(entry.status, now())) return entry.status
      if (entry.running) return entry.running
      const current = entry
      current.status = undefined
      current.running = run(exec, options).then(
        (status) => {
          current.running = undefined
          current.status = status
          return status
        },
        (error: unknown) => {
          current.running = undefined
          throw error
        },
      )
      return current.running
    },
  }
}

/** Forgets every cached credential (tests). */
export function clearExecCredentialCache(): void {
  cache.clear()
}
