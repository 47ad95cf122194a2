import type {Catalog} from '../catalog/types.js'
import {NAMESPACES} from '../config/types.js'
import {planEnvironment, type RegionPlan} from '../env/plan.js'
import type {EnvironmentRecord} from '../env/record.js'
import {OperationFailedError, TimeoutError} from '../errors.js'
import {applyObjects} from '../kube/apply.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import {waitForWorkloads} from '../kube/wait.js'
import {renderEnvironment} from '../render/render-environment.js'

/**
 * Sizing one region for its new role, with the same plan `env create` uses (src/env/plan.ts), so
 * a failover and a later `env create` agree: the active region at full scale (the tier's replicas
 * and HPA bounds; in pilot light the apps are created), the other at its disaster-recovery scale.
 * Apps always run the versions the environment record says are live, never the config's.
 * Only app services are touched: the data services keep running in both regions.
 */

const APP_KINDS_REMOVED_AT_STANDBY = new Set(['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'VirtualService', 'DestinationRule'])

export interface RegionScaleInput {
  client: KubeApi
  record: EnvironmentRecord
  catalog: Catalog
  region: string
  /** The region that will serve: `region` itself for full scale, the other one for standby. */
  activeRegion: string
  waitTimeoutMs?: number
  onProgress?: (message: string) => void
}

/** The app objects of `region` when `activeRegion` serves (pure apart from rendering templates). */
export async function appObjectsFor(input: Pick<RegionScaleInput, 'record' | 'catalog' | 'region' | 'activeRegion'>): Promise<{plan: RegionPlan; objects: KubeObject[]; appServices: Set<string>}> {
  const {record, catalog} = input
  const env = {...record.spec, versions: {...record.spec.versions, ...record.versions}}
  const rendered = await renderEnvironment({catalog, env})
  const clusters = record.clusters.map((c) => ({region: c.region, role: c.role, clusterName: c.clusterName, nodeGroups: [], supportingResources: []}))
  const plan = planEnvironment({env, catalog, clusters, rendered, activeRegion: input.activeRegion})
  const regionPlan = plan.regions.find((r) => r.region === input.region)
  if (!regionPlan) throw new OperationFailedError(`region ${input.region} is not part of environment ${record.name}`)
  const appServices = new Set(catalog.services.filter((s) => s.kind === 'app').map((s) => s.name))
  const objects = regionPlan.waves.flat().filter((entry) => appServices.has(entry.service)).flatMap((entry) => entry.objects)
  return {plan: regionPlan, objects, appServices}
}

/** Full scale: apply the apps at the recorded versions and wait until every Deployment is ready. */
export async function scaleRegionUp(input: RegionScaleInput): Promise<string> {
  const {objects} = await appObjectsFor(input)
  const applied = await applyObjects(input.client, objects)
  const changed = applied.filter((a) => a.action !== 'unchanged').length
  const deployments = objects.filter((o) => o.kind === 'Deployment')
  const results = await waitForWorkloads(
    input.client,
    deployments.map((o) => ({apiVersion: o.apiVersion, kind: o.kind, namespace: String(o.metadata.namespace), name: String(o.metadata.name)})),
    {timeoutMs: input.waitTimeoutMs ?? 300_000, onResult: (r) => input.onProgress?.(`${input.region}: deployment/${r.ref.name} ${r.verdict}`)},
  )
  const bad = results.filter((r) => r.verdict !== 'succeeded')
  if (bad.length > 0) {
    const message = `${bad.length} app(s) not ready in ${input.region}: ${bad.map((r) => `${r.ref.name} ${r.verdict} (${r.message})`).join(', ')}`
    const hint = 'fix the cause, then `mygate failover resume`; traffic has not moved'
    throw bad.every((r) => r.verdict === 'timed out') ? new TimeoutError(message, {hint}) : new OperationFailedError(message, {hint})
  }
  return `${deployments.length} apps ready at full scale (${changed} objects changed)`
}

/**
 * Standby scale: apply the standby objects (warm standby: one replica, HPA floor one) and remove
 * the app objects standby does not run (PodDisruptionBudgets; in pilot light the Deployments and
 * autoscalers too). Data services are left alone.
 */
export async function scaleRegionDown(input: RegionScaleInput): Promise<string> {
  const {objects, plan} = await appObjectsFor(input)
  await applyObjects(input.client, objects)
  const kept = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`))
  const full = await appObjectsFor({...input, activeRegion: input.region})
  let removed = 0
  for (const object of full.objects) {
    if (!APP_KINDS_REMOVED_AT_STANDBY.has(object.kind) || kept.has(`${object.kind}/${object.metadata.name}`)) continue
    const gone = await input.client
      .delete({apiVersion: object.apiVersion, kind: object.kind, name: String(object.metadata.name), namespace: String(object.metadata.namespace ?? NAMESPACES.apps)})
      .catch((error: unknown) => {
        // A kind the cluster does not serve (no mesh) has nothing to remove.
        if ((error as {name?: string}).name === 'KindNotServedError') return false
        throw error
      })
    if (gone) removed++
  }
  return `${input.region} at ${plan.scale} scale (${removed} objects removed)`
}
