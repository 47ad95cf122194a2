import {mkdir, readFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {parse, stringify} from 'yaml'

import {writeFileAtomic} from '../atomic-file.js'
import {NotFoundError, UsageError} from '../errors.js'
import {mygateHome} from '../home.js'

/**
 * Reads and writes kubeconfig files as plain data (the `yaml` package, not client-node, so the
 * providers stay light). Field names follow the kubeconfig format; unknown fields are kept.
 */

export interface ExecConfig {
  apiVersion: string
  command: string
  args?: string[]
  env?: Array<{name: string; value: string}> | null
  interactiveMode?: 'Never' | 'IfAvailable' | 'Always'
  provideClusterInfo?: boolean
  installHint?: string
  [key: string]: unknown
}

export interface KubeconfigCluster {
  name: string
  cluster: {
    server: string
    'certificate-authority-data'?: string
    'certificate-authority'?: string
    'insecure-skip-tls-verify'?: boolean
    [key: string]: unknown
  }
}

export interface KubeconfigUser {
  name: string
  user: {
    token?: string
    exec?: ExecConfig
    'client-certificate-data'?: string
    'client-key-data'?: string
    [key: string]: unknown
  }
}

export interface KubeconfigContext {
  name: string
  context: {cluster: string; user: string; namespace?: string; [key: string]: unknown}
}

export interface KubeconfigContents {
  clusters: KubeconfigCluster[]
  users: KubeconfigUser[]
  contexts: KubeconfigContext[]
  currentContext?: string
}

/** Where mygate keeps the kubeconfig of one environment: $MYGATE_HOME/kubeconfig/ENV.yaml. */
export function environmentKubeconfigPath(envName: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(mygateHome(env), 'kubeconfig', `${envName}.yaml`)
}

/** Parses kubeconfig YAML text; `source` names the file in error messages. */
export function parseKubeconfig(text: string, source: string): KubeconfigContents {
  let doc: unknown
  try {
    doc = parse(text) ?? {}
  } catch (error) {
    throw new UsageError(`kubeconfig ${source} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'fix the file or point --kubeconfig / $KUBECONFIG at another one',
      cause: error,
    })
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new UsageError(`kubeconfig ${source} is not a mapping`, {hint: 'a kubeconfig has clusters, users and contexts lists'})
  }
  const record = doc as Record<string, unknown>
  const list = <T>(key: string): T[] => (Array.isArray(record[key]) ? (record[key] as T[]) : [])
  const current = record['current-context']
  return {
    clusters: list<KubeconfigCluster>('clusters'),
    users: list<KubeconfigUser>('users'),
    contexts: list<KubeconfigContext>('contexts'),
    ...(typeof current === 'string' && current !== '' ? {currentContext: current} : {}),
  }
}

export function serializeKubeconfig(contents: KubeconfigContents): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: contents.clusters,
    users: contents.users,
    contexts: contents.contexts,
    'current-context': contents.currentContext ?? contents.contexts[0]?.name ?? '',
  })
}

/** Reads a kubeconfig file. A missing file is a NotFoundError naming the path. */
export async function readKubeconfigFile(path: string): Promise<KubeconfigContents> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`kubeconfig ${path} does not exist`, {
        hint: 'pass --kubeconfig with an existing file, or set $KUBECONFIG',
        cause: error,
      })
    }
    throw error
  }
  return parseKubeconfig(text, path)
}

/**
 * Writes a kubeconfig atomically with mode 0600: it may hold tokens, and a reader (kubectl, a
 * second mygate) must never see half a file, so it goes to a temporary file that is renamed.
 */
export async function writeKubeconfigFile(path: string, contents: KubeconfigContents): Promise<void> {
  await mkdir(dirname(path), {recursive: true, mode: 0o700})
  await writeFileAtomic(path, serializeKubeconfig(contents), 0o600)
}
