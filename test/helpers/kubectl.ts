import {execa} from 'execa'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, realpathSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

/**
 * Real kubectl binaries for compatibility tests. The Google Cloud SDK puts `kubectl.1.27` ...
 * `kubectl.1.33` beside the target of the `kubectl` dispatcher on PATH; Debian's
 * /usr/bin/kubectl counts when it is a real kubectl. A missing kubectl is an error, never a skip.
 */
function candidates(): Map<string, string> {
  const found = new Map<string, string>()
  let onPath: string | undefined
  try {
    onPath = execFileSync('sh', ['-c', 'command -v kubectl'], {encoding: 'utf8'}).trim()
  } catch {
    onPath = undefined
  }
  if (onPath) {
    const folder = dirname(realpathSync(onPath))
    for (let minor = 20; minor <= 40; minor++) {
      const path = join(folder, `kubectl.1.${minor}`)
      if (existsSync(path)) found.set(`1.${minor}`, path)
    }
  }
  const debian = '/usr/bin/kubectl'
  if (existsSync(debian)) {
    try {
      const out = execFileSync(debian, ['version', '--client', '-o', 'json'], {encoding: 'utf8', timeout: 10_000, env: {...process.env, CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: '1'}})
      const version = (JSON.parse(out) as {clientVersion?: {major?: string; minor?: string}}).clientVersion
      const minor = version?.minor?.replace(/\D/g, '')
      if (version?.major === '1' && minor && !found.has(`1.${minor}`)) found.set(`1.${minor}`, debian)
    } catch {
      // The gcloud dispatcher or a broken binary: not a real kubectl.
    }
  }
  return found
}

let cache: Map<string, string> | undefined

/** Versions available here, e.g. ['1.27', ..., '1.33']. */
export function kubectlVersions(): string[] {
  cache ??= candidates()
  return [...cache.keys()].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
}

/** The path of kubectl `version` (e.g. '1.33'), or the newest one. Throws when none is found. */
export function kubectlPath(version?: string): string {
  cache ??= candidates()
  const versions = kubectlVersions()
  const chosen = version ?? versions.at(-1)
  const path = chosen ? cache.get(chosen) : undefined
  if (!path) {
    throw new Error(
      `kubectl ${version ?? '(any version)'} not found: looked for kubectl.1.NN beside the target of \`kubectl\` on PATH and at /usr/bin/kubectl (found: ${versions.join(', ') || 'none'}). Install kubectl; these tests never skip.`,
    )
  }
  return path
}

/** Writes a kubeconfig for an API server URL (no credentials: the local server is plain HTTP). */
export function writeKubeconfig(serverUrl: string, directory = mkdtempSync(join(tmpdir(), 'mygate-kubeconfig-'))): string {
  const path = join(directory, 'kubeconfig')
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: local',
      '  cluster:',
      `    server: ${serverUrl}`,
      'users:',
      '- name: local',
      '  user: {}',
      'contexts:',
      '- name: local',
      '  context: {cluster: local, user: local, namespace: default}',
      'current-context: local',
      '',
    ].join('\n'),
  )
  return path
}

export interface KubectlOptions {
  kubeconfig: string
  input?: string
  version?: string
  timeoutMs?: number
}

export interface KubectlResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs kubectl with an argument array against the given kubeconfig; never throws on exit codes. */
export async function runKubectl(args: string[], options: KubectlOptions): Promise<KubectlResult> {
  const result = await execa(kubectlPath(options.version), ['--kubeconfig', options.kubeconfig, ...args], {
    reject: false,
    input: options.input,
    timeout: options.timeoutMs ?? 30_000,
    // A private cache directory per kubeconfig: discovery and OpenAPI caches never leak across tests.
    env: {KUBECACHEDIR: join(dirname(options.kubeconfig), 'cache'), HOME: dirname(options.kubeconfig)},
    extendEnv: true,
  })
  return {exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr)}
}

/** A running `kubectl ... --watch`: its output as whole lines, as they arrive. */
export interface KubectlWatch {
  lines: string[]
  /** Resolves true once a line satisfies `test` (lines already seen count), false after `timeoutMs`. */
  waitFor(test: (line: string) => boolean, timeoutMs?: number): Promise<boolean>
  stop(): Promise<void>
}

/**
 * Starts kubectl with the given arguments (which should include `--watch`) and collects its
 * stdout line by line; kubectl's output can arrive split mid-line, so only complete lines count.
 * The caller stops it (a test must not leave it running).
 */
export function watchKubectl(args: string[], options: Omit<KubectlOptions, 'input' | 'timeoutMs'>): KubectlWatch {
  const child = execa(kubectlPath(options.version), ['--kubeconfig', options.kubeconfig, ...args], {
    reject: false,
    env: {KUBECACHEDIR: join(dirname(options.kubeconfig), 'cache'), HOME: dirname(options.kubeconfig)},
    extendEnv: true,
  })
  const lines: string[] = []
  const listeners = new Set<() => void>()
  let partial = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n')
    partial = parts.pop() ?? ''
    lines.push(...parts.filter((line) => line.trim() !== ''))
    for (const listener of listeners) listener()
  })
  return {
    lines,
    waitFor(test, timeoutMs = 15_000) {
      return new Promise((resolve) => {
        const check = (): boolean => lines.some(test)
        if (check()) return resolve(true)
        const listener = (): void => {
          if (!check()) return
          listeners.delete(listener)
          clearTimeout(timer)
          resolve(true)
        }
        const timer = setTimeout(() => {
          listeners.delete(listener)
          resolve(check())
        }, timeoutMs)
        listeners.add(listener)
      })
    },
    async stop() {
      child.kill()
      await child
    },
  }
}
