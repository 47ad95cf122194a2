import {existsSync} from 'node:fs'

import type {KubeconfigContents} from '../kube/kubeconfig/format.js'
import {kubeconfigFiles, readKubeconfigFile, writeKubeconfigFile} from '../kube/kubeconfig/files.js'

/** The kubeconfig the local contexts are merged into: the first file in effect ($KUBECONFIG's first entry, else ~/.kube/config). */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return kubeconfigFiles(undefined, env)[0]
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
