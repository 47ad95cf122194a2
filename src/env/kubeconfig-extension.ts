import type {EnvironmentSpec} from '../config/types.js'
import {readKubeconfigFile, writeKubeconfigFile} from '../kube/kubeconfig/files.js'

/**
 * The cached kubeconfig carries the environment's spec as a context extension (a standard
 * kubeconfig field kubectl ignores), so destroy and list still know what an environment is when
 * its clusters do not answer, or hold no record yet (`--infra-only`).
 */
export const KUBECONFIG_EXTENSION = 'mygate.dev/environment'

export interface KubeconfigEnvironment {
  spec: EnvironmentSpec
  /** Clusters only: created with --infra-only, nothing applied inside them. */
  infraOnly: boolean
  /**
   * Infra-only: when its clusters were first created, and when its TTL runs out (the record in the
   * cluster holds these otherwise; an infra-only environment has none).
   */
  createdAt?: string
  expiresAt?: string
}

export async function annotateKubeconfig(path: string, environment: KubeconfigEnvironment): Promise<void> {
  const contents = await readKubeconfigFile(path)
  for (const context of contents.contexts) {
    const others = (Array.isArray(context.context.extensions) ? context.context.extensions : []) as Array<{name?: string}>
    context.context.extensions = [...others.filter((e) => e.name !== KUBECONFIG_EXTENSION), {name: KUBECONFIG_EXTENSION, extension: environment}]
  }
  await writeKubeconfigFile(path, contents)
}

export async function environmentFromKubeconfig(path: string): Promise<KubeconfigEnvironment | undefined> {
  const contents = await readKubeconfigFile(path).catch(() => undefined)
  for (const context of contents?.contexts ?? []) {
    const extensions = (Array.isArray(context.context.extensions) ? context.context.extensions : []) as Array<{name?: string; extension?: KubeconfigEnvironment}>
    const found = extensions.find((e) => e.name === KUBECONFIG_EXTENSION)?.extension
    if (found?.spec) return found
  }
  return undefined
}
