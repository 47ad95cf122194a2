import {rm, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {backupBucketName} from '../../backup/site/site-names.js'
import {UsageError} from '../../errors.js'
import {localObjectStoreRoot} from '../../formats/local-object-store/bucket.js'
import {mygateHome} from '../../home.js'
import {deleteCluster, ensureCluster, ensureDaemon} from '../../local-control/control-client.js'
import {localKubeconfig} from '../../local-cluster/daemon/kubeconfig.js'
import {localContextName} from '../../local-cluster/daemon/paths.js'
import {environmentKubeconfigPath, writeKubeconfigFile} from '../../kube/kubeconfig/files.js'
import {checkDistinctRegions, environmentRegions} from '../naming.js'
import {LOCAL_POD_RANGES} from './address-plan.js'
import type {ClusterHandle, ClusterPlan, ClusterProvider, DestroyReport, KubeconfigRef, Progress} from '../types.js'

const REGION = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/

/** Local cluster name for one region of an environment. */
export function localClusterName(env: string, region: string): string {
  return `${env}-${region}`
}


/**
 * Provider `local`: one cluster of the embedded control plane per region, hosted by the
 * detached daemon under $MYGATE_HOME/local. Any DNS-1123 label is a valid local region name.
 */
export function createLocalProvider(options: {home?: string} = {}): ClusterProvider {
  const home = () => options.home ?? mygateHome()
  return {
    name: 'local',

    async validate(env) {
      for (const {region} of environmentRegions(env)) {
        if (!REGION.test(region)) {
          throw new UsageError(`region "${region}" is not a valid local region name`, {hint: 'use lower-case letters, digits and dashes, e.g. local-1'})
        }
      }
      checkDistinctRegions(env.regions)
    },

    planClusters(env): ClusterPlan[] {
      return environmentRegions(env).map(({region, role}) => ({
        region,
        role,
        clusterName: localClusterName(env.name, region),
        nodeGroups: [
          {name: 'simulated', capacity: 'on-demand', instanceTypes: ['local'], minSize: 3, maxSize: 3, desiredSize: 3, labels: {}},
        ],
        supportingResources: ['local control plane daemon (started when not running)'],
      }))
    },

    async ensureClusters(env, progress: Progress): Promise<ClusterHandle[]> {
      const started = await ensureDaemon(home())
      progress.update(started.started ? `local control plane started (pid ${started.info.pid})` : `local control plane running (pid ${started.info.pid})`)
      const handles: ClusterHandle[] = []
      for (const {region, role} of environmentRegions(env)) {
        const name = localClusterName(env.name, region)
        // The environment's clusters form one cluster set: replica sets span its regions.
        const info = await ensureCluster(home(), name, region, env.name, LOCAL_POD_RANGES[role])
        progress.update(`cluster ${name} at ${info.url}`)
        handles.push({region, role, clusterName: name, endpoint: info.url, context: localContextName(name)})
      }
      return handles
    },

    async writeKubeconfig(env, clusters): Promise<KubeconfigRef> {
      const path = environmentKubeconfigPath(env.name, {MYGATE_HOME: home()})
      const records = clusters.map((c) => ({name: c.clusterName, port: Number(new URL(c.endpoint ?? 'http://127.0.0.1:0').port)}))
      await writeKubeconfigFile(path, localKubeconfig(records))
      return {path, contexts: Object.fromEntries(clusters.map((c) => [c.region, c.context]))}
    },

    async destroyClusters(env, progress, options = {}): Promise<DestroyReport> {
      const report: DestroyReport = {removed: [], leftBehind: [], kept: []}
      for (const {region} of environmentRegions(env).reverse()) {
        const name = localClusterName(env.name, region)
        try {
          if (await deleteCluster(home(), name)) {
            report.removed.push(`local cluster ${name}`)
            progress.update(`local cluster ${name} removed`)
          }
        } catch (error) {
          report.leftBehind.push({resource: `local cluster ${name}`, reason: (error as Error).message})
        }
        await settleLocalBackups(home(), env.name, region, Boolean(options.deleteBackups), report)
      }
      return report
    },
  }
}

/**
 * The region's local backup bucket (its directory holds the objects and the key that encrypts
 * them): kept, like a cloud bucket, unless `deleteBackups`.
 */
async function settleLocalBackups(home: string, envName: string, region: string, deleteBackups: boolean, report: DestroyReport): Promise<void> {
  const bucket = backupBucketName(envName, region)
  const dir = join(localObjectStoreRoot(home), bucket)
  try {
    await stat(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  if (!deleteBackups) {
    report.kept!.push({resource: `backup bucket local://${bucket}`, reason: 'backups outlive the environment (pass --delete-backups to delete them)'})
    return
  }
  try {
    await rm(dir, {recursive: true})
    report.removed.push(`backup bucket local://${bucket} and its key`)
  } catch (error) {
    report.leftBehind.push({resource: `backup bucket local://${bucket}`, reason: (error as Error).message})
  }
}
