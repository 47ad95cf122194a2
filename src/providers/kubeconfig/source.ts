import {homedir} from 'node:os'
import {delimiter, dirname, isAbsolute, join, resolve} from 'node:path'

import {NotFoundError, UsageError} from '../../errors.js'
import {
  type KubeconfigCluster,
  type KubeconfigContext,
  type KubeconfigUser,
  readKubeconfigFile,
} from '../kubeconfig-file.js'

/**
 * The user's kubeconfig, read-only: the environment's kubeconfig file, else $KUBECONFIG (a list,
 * merged as kubectl merges it: the first file that defines a name wins), else ~/.kube/config.
 */

interface Sourced<T> {
  entry: T
  /** The file the entry came from: relative paths inside it resolve against its folder. */
  file: string
}

export interface UserKubeconfig {
  files: string[]
  contexts: Map<string, Sourced<KubeconfigContext>>
  clusters: Map<string, Sourced<KubeconfigCluster>>
  users: Map<string, Sourced<KubeconfigUser>>
}

export function kubeconfigFiles(explicit: string | undefined, processEnv: NodeJS.ProcessEnv): string[] {
  if (explicit) return [resolve(explicit)]
  const list = (processEnv.KUBECONFIG ?? '').split(delimiter).filter((file) => file.trim() !== '')
  if (list.length > 0) return list.map((file) => resolve(file))
  return [join(processEnv.HOME ?? homedir(), '.kube', 'config')]
}

export async function loadUserKubeconfig(explicit: string | undefined, processEnv: NodeJS.ProcessEnv): Promise<UserKubeconfig> {
  const files = kubeconfigFiles(explicit, processEnv)
  const result: UserKubeconfig = {files, contexts: new Map(), clusters: new Map(), users: new Map()}
  let found = 0
  for (const file of files) {
    let config
    try {
      config = await readKubeconfigFile(file)
    } catch (error) {
      // kubectl skips missing files of a KUBECONFIG list; an explicit file must exist.
      if (error instanceof NotFoundError && !explicit) continue
      if (error instanceof NotFoundError) {
        throw new UsageError(`kubeconfig ${file} does not exist`, {hint: 'pass --kubeconfig with an existing file', cause: error})
      }
      throw error
    }
    found++
    for (const entry of config.contexts) if (entry?.name && !result.contexts.has(entry.name)) result.contexts.set(entry.name, {entry, file})
    for (const entry of config.clusters) if (entry?.name && !result.clusters.has(entry.name)) result.clusters.set(entry.name, {entry, file})
    for (const entry of config.users) if (entry?.name && !result.users.has(entry.name)) result.users.set(entry.name, {entry, file})
  }
  if (found === 0) {
    throw new UsageError(`no kubeconfig found (looked at ${files.join(', ')})`, {
      hint: 'pass --kubeconfig FILE or set $KUBECONFIG',
    })
  }
  return result
}

const absolute = (value: unknown, file: string) =>
  typeof value === 'string' && value !== '' && !isAbsolute(value) ? resolve(dirname(file), value) : value

/** A copy of a cluster entry whose file references work from any folder. */
export function portableCluster({entry, file}: Sourced<KubeconfigCluster>): KubeconfigCluster {
  const cluster = {...entry.cluster}
  if (cluster['certificate-authority'] !== undefined) cluster['certificate-authority'] = absolute(cluster['certificate-authority'], file) as string
  return {...entry, cluster}
}

export function portableUser({entry, file}: Sourced<KubeconfigUser>): KubeconfigUser {
  const user = {...entry.user}
  for (const key of ['client-certificate', 'client-key', 'tokenFile']) {
    if (user[key] !== undefined) user[key] = absolute(user[key], file)
  }
  // kubectl resolves an exec command that contains a path separator against the file's folder.
  if (user.exec && user.exec.command.includes('/')) user.exec = {...user.exec, command: absolute(user.exec.command, file) as string}
  return {...entry, user}
}
