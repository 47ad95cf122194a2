import {parse, stringify} from 'yaml'

import {UsageError} from '../../errors.js'

/**
 * The kubeconfig file format as plain data (the `yaml` package; no Kubernetes client library).
 * Field names are the format's own (https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/);
 * unknown fields are kept, so a kubeconfig read and written back loses nothing.
 */

export interface ExecConfig {
  /** client.authentication.k8s.io/v1 or v1beta1: the ExecCredential version the plugin speaks. */
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
    'tls-server-name'?: string
    'proxy-url'?: string
    extensions?: Array<{name?: string; extension?: unknown}>
    [key: string]: unknown
  }
}

export interface KubeconfigUser {
  name: string
  user: {
    token?: string
    tokenFile?: string
    exec?: ExecConfig
    'client-certificate-data'?: string
    'client-key-data'?: string
    'client-certificate'?: string
    'client-key'?: string
    username?: string
    password?: string
    as?: string
    'as-uid'?: string
    'as-groups'?: string[]
    'auth-provider'?: {name?: string; [key: string]: unknown}
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
