import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join} from 'node:path'

import {readKubeconfigFile, writeKubeconfigFile, type KubeconfigContents} from '../providers/kubeconfig-file.js'

/** The kubeconfig kubectl uses by default: the first $KUBECONFIG entry, else ~/.kube/config. */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((p) => p.trim() !== '')
  return first ?? join(homedir(), '.kube', 'config')
}

/**
 * Pure: `target` with every cluster, user and context of `source` added or replaced by name.
 * The current context is left as it was (switching it is the user's choice).
 */
export function mergeKubeconfig(target: KubeconfigContents, source: KubeconfigContents): KubeconfigContents {
  const byName = <T extends {name: string}>(base: T[], added: T[]) => [...base.filter((b) => !added.some((a) => a.name === b.name)), ...added]
  return {
    clusters: byName(target.clusters, source.clusters),
    users: byName(target.users, source.users),
    contexts: byName(target.contexts, source.contexts),
    ...(target.currentContext ? {currentContext: target.currentContext} : source.currentContext ? {currentContext: source.currentContext} : {}),
  }
}

/** Merges the local control plane's contexts into the user's kubeconfig (only when asked to). */
export async function mergeIntoUserKubeconfig(localKubeconfig: string, env: NodeJS.ProcessEnv = process.env): Promise<{path: string; contexts: string[]}> {
  const path = userKubeconfigPath(env)
  const source = await readKubeconfigFile(localKubeconfig)
  const target = existsSync(path) ? await readKubeconfigFile(path) : {clusters: [], users: [], contexts: []}
  await writeKubeconfigFile(path, mergeKubeconfig(target, source))
  return {path, contexts: source.contexts.map((c) => c.name)}
}
