import {mkdir, readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {delimiter, dirname, isAbsolute, join, resolve} from 'node:path'

import {NotFoundError, UsageError} from '../../errors.js'
import {mygateHome} from '../../home.js'
import {type KubeconfigCluster, type KubeconfigContents, type KubeconfigContext, type KubeconfigUser, parseKubeconfig, serializeKubeconfig} from './format.js'

/**
 * Kubeconfig files: where they are, reading one, writing one, and loading the user's (a list of
 * files merged as kubectl merges them).
 */

/** Where mygate keeps the kubeconfig of one environment: $MYGATE_HOME/kubeconfig/ENV.yaml. */
export function environmentKubeconfigPath(envName: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(mygateHome(env), 'kubeconfig', `${envName}.yaml`)
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
  // Loaded here: it pulls in node:crypto (~7 ms), which the many readers (the status fast path) never need.
  const {writeFileAtomic} = await import('../../atomic-file.js')
  await writeFileAtomic(path, serializeKubeconfig(contents), 0o600)
}

/**
 * The kubeconfig files in effect, as kubectl finds them: `--kubeconfig` alone when given, else
 * every entry of $KUBECONFIG (a path list), else ~/.kube/config. The only resolver of $KUBECONFIG.
 */
export function kubeconfigFiles(explicit: string | undefined, processEnv: NodeJS.ProcessEnv = process.env): string[] {
  if (explicit) return [resolve(explicit)]
  const list = (processEnv.KUBECONFIG ?? '').split(delimiter).filter((file) => file.trim() !== '')
  if (list.length > 0) return list.map((file) => resolve(file))
  return [join(processEnv.HOME ?? homedir(), '.kube', 'config')]
}

/** A kubeconfig entry and the file it came from: relative paths inside it resolve against its folder. */
export interface Sourced<T> {
  entry: T
  file: string
}

/** The merged view of one or more kubeconfig files. */
export interface LoadedKubeconfig {
  files: string[]
  contexts: Map<string, Sourced<KubeconfigContext>>
  clusters: Map<string, Sourced<KubeconfigCluster>>
  users: Map<string, Sourced<KubeconfigUser>>
  /** The first file's current-context that is set. */
  currentContext?: string
}

export interface LoadKubeconfigOptions {
  /** `--kubeconfig`: this file only, and it must exist. */
  explicit?: string
  /** Where $KUBECONFIG and $HOME come from. Default process.env. */
  processEnv?: NodeJS.ProcessEnv
}

/**
 * Loads the kubeconfig in effect, merged as kubectl merges a $KUBECONFIG list: the first file
 * that defines a name wins (later files never override it), the first current-context set wins,
 * missing files of the list are skipped. An explicit file must exist.
 */
export async function loadKubeconfig(options: LoadKubeconfigOptions = {}): Promise<LoadedKubeconfig> {
  const {explicit} = options
  const files = kubeconfigFiles(explicit, options.processEnv ?? process.env)
  const result: LoadedKubeconfig = {files, contexts: new Map(), clusters: new Map(), users: new Map()}
  let found = 0
  for (const file of files) {
    let config: KubeconfigContents
    try {
      config = await readKubeconfigFile(file)
    } catch (error) {
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
    result.currentContext ??= config.currentContext
  }
  if (found === 0) {
    throw new UsageError(`no kubeconfig found (looked at ${files.join(', ')})`, {
      hint: 'pass --kubeconfig FILE or set $KUBECONFIG',
    })
  }
  return result
}

/** A path from a kubeconfig made absolute against the folder of the file it is written in. */
export function pathFromKubeconfig(value: string, file: string): string {
  return isAbsolute(value) ? value : resolve(dirname(file), value)
}

const absolute = (value: unknown, file: string) => (typeof value === 'string' && value !== '' ? pathFromKubeconfig(value, file) : value)

/** A copy of a cluster entry whose file references work from any folder. */
export function portableCluster({entry, file}: Sourced<KubeconfigCluster>): KubeconfigCluster {
  const cluster = {...entry.cluster}
  if (cluster['certificate-authority'] !== undefined) cluster['certificate-authority'] = absolute(cluster['certificate-authority'], file) as string
  return {...entry, cluster}
}

/** A copy of a user entry whose file references (and a relative exec command) work from any folder. */
export function portableUser({entry, file}: Sourced<KubeconfigUser>): KubeconfigUser {
  const user = {...entry.user}
  for (const key of ['client-certificate', 'client-key', 'tokenFile']) {
    if (user[key] !== undefined) user[key] = absolute(user[key], file)
  }
  // kubectl resolves an exec command that contains a path separator against the file's folder.
  if (user.exec && user.exec.command.includes('/')) user.exec = {...user.exec, command: absolute(user.exec.command, file) as string}
  return {...entry, user}
}
