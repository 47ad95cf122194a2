import type {EnvironmentSpec} from '../../config/types.js'
import {UsageError, oneOf} from '../../errors.js'
import {environmentKubeconfigPath, writeKubeconfigFile} from '../../kube/kubeconfig/files.js'
import type {ClusterHandle, ClusterPlan, ClusterProvider, DestroyReport, KubeconfigRef} from '../types.js'
import {type ContextAssignment, parseContextSpec} from './context-spec.js'
import {type LoadedKubeconfig, loadKubeconfig, portableCluster, portableUser} from '../../kube/kubeconfig/files.js'

export interface KubeconfigProviderOptions {
  /** Process environment (KUBECONFIG, HOME, MYGATE_HOME). Default process.env. */
  processEnv?: NodeJS.ProcessEnv
}

interface ResolvedContext extends ContextAssignment {
  clusterName: string
  server?: string
}

/**
 * Runs on clusters the user already has, through existing kubeconfig contexts. The user's
 * kubeconfig is only read; mygate writes its own copy with just the environment's contexts,
 * and never creates or deletes a cluster.
 */
export function createKubeconfigProvider(options: KubeconfigProviderOptions = {}): ClusterProvider {
  const processEnv = options.processEnv ?? process.env

  async function resolveContexts(env: EnvironmentSpec): Promise<{config: LoadedKubeconfig; contexts: ResolvedContext[]}> {
    const wanted = parseContextSpec(env)
    const config = await loadKubeconfig({explicit: env.kubeconfig, processEnv})
    const where = config.files.join(', ')
    const contexts = wanted.map((assignment): ResolvedContext => {
      const context = config.contexts.get(assignment.context)
      if (!context) {
        throw new UsageError(`context "${assignment.context}" is not in kubeconfig ${where}`, {
          hint: `use ${oneOf([...config.contexts.keys()].sort())}`,
          details: {contexts: [...config.contexts.keys()].sort()},
        })
      }
      const clusterName = context.entry.context?.cluster
      const userName = context.entry.context?.user
      const cluster = clusterName ? config.clusters.get(clusterName) : undefined
      if (!cluster) {
        throw new UsageError(`context "${assignment.context}" refers to cluster "${clusterName ?? ''}", which kubeconfig ${where} does not define`, {
          hint: 'fix the kubeconfig (kubectl config view) or use another context',
        })
      }
      if (userName && !config.users.has(userName)) {
        throw new UsageError(`context "${assignment.context}" refers to user "${userName}", which kubeconfig ${where} does not define`, {
          hint: 'fix the kubeconfig (kubectl config view) or use another context',
        })
      }
      return {...assignment, clusterName: clusterName!, server: cluster.entry.cluster?.server}
    })
    return {config, contexts}
  }

  return {
    name: 'kubeconfig',

    async validate(env) {
      await resolveContexts(env)
    },

    planClusters(env): ClusterPlan[] {
      return parseContextSpec(env).map((assignment) => ({
        region: assignment.region,
        role: assignment.role,
        clusterName: assignment.context,
        nodeGroups: [],
        supportingResources: [`existing kubeconfig context ${assignment.context} (not created or deleted by mygate)`],
      }))
    },

    async ensureClusters(env, progress): Promise<ClusterHandle[]> {
      const {contexts} = await resolveContexts(env)
      return contexts.map((context) => {
        progress.update(`${context.region}: using kubeconfig context ${context.context}`)
        return {region: context.region, role: context.role, clusterName: context.clusterName, endpoint: context.server, context: context.context}
      })
    },

    async writeKubeconfig(env, clusters): Promise<KubeconfigRef> {
      const {config, contexts} = await resolveContexts(env)
      const chosen = contexts.filter((context) => clusters.some((handle) => handle.context === context.context))
      const pick = <T>(names: Array<string | undefined>, map: Map<string, T>) =>
        [...new Set(names.filter((name): name is string => Boolean(name)))].map((name) => map.get(name)!).filter(Boolean)
      const contextEntries = chosen.map((context) => config.contexts.get(context.context)!)
      const path = environmentKubeconfigPath(env.name, processEnv)
      await writeKubeconfigFile(path, {
        contexts: contextEntries.map(({entry}) => entry),
        clusters: pick(contextEntries.map(({entry}) => entry.context?.cluster), config.clusters).map(portableCluster),
        users: pick(contextEntries.map(({entry}) => entry.context?.user), config.users).map(portableUser),
        currentContext: chosen[0]?.context,
      })
      return {path, contexts: Object.fromEntries(chosen.map((context) => [context.region, context.context]))}
    },

    async destroyClusters(env): Promise<DestroyReport> {
      // Nothing cluster-level is ours to delete; say so instead of pretending.
      return {
        removed: [],
        leftBehind: [],
        kept: parseContextSpec(env).map((assignment) => ({
          resource: `cluster of kubeconfig context ${assignment.context}`,
          reason: 'user-owned: the kubeconfig provider never deletes clusters',
        })),
      }
    },
  }
}
