import type {Catalog} from '../catalog/types.js'
import {dependencyLayers} from '../catalog/dependency-order.js'
import type {DrMode, EnvironmentSpec, ProviderName} from '../config/types.js'
import type {KubeObject} from '../kube/types.js'
import type {ClusterPlan} from '../providers/types.js'
import {scaleForDisasterRecovery} from './dr-scale.js'
import {objectsForRegion} from '../render/labels.js'

/** One region's share of the work: the baseline, then services wave by wave. */
export interface RegionPlan {
  region: string
  role: 'primary' | 'secondary'
  /** Scale the region runs at: full, or the secondary's disaster-recovery mode. */
  scale: 'full' | DrMode
  baseline: KubeObject[]
  /** Services in dependency order, grouped into waves applied (and waited for) together. */
  waves: Array<Array<{service: string; objects: KubeObject[]}>>
}

/** The plan `mygate env create --dry-run` prints and `--json` returns. */
export interface EnvironmentPlan {
  environment: string
  provider: ProviderName
  tier: EnvironmentSpec['tier']
  clusters: ClusterPlan[]
  regions: RegionPlan[]
}

/** Compact, printable form of a plan (no object bodies). */
export interface PlanSummary {
  environment: string
  provider: ProviderName
  tier: string
  clusters: Array<{region: string; role: string; clusterName: string; nodeGroups: string[]; supportingResources: string[]}>
  regions: Array<{region: string; role: string; scale: string; baselineObjects: number; namespaces: string[]; waves: string[][]; objects: number}>
}

/**
 * Pure: clusters from the provider's plan, the baseline, and every service in dependency order
 * (data services first, the gateway last). The ACTIVE region runs at full scale and the other at
 * its disaster-recovery scale (apps only: data services are the same in both); a wave left empty
 * by pilot light is dropped.
 *
 * The active region is the environment record's (`activeRegion`), not `regions.primary`: after a
 * failover the configured primary is the standby, and sizing by the config would shrink the live
 * region to standby scale on the next `env create` (and in pilot light delete its apps).
 *
 *   regions {primary: a, secondary: b}, activeRegion undefined -> a full, b standby (a new environment)
 *   regions {primary: a, secondary: b}, activeRegion 'b'       -> a standby, b full (after a failover)
 */
export function planEnvironment(input: {
  env: EnvironmentSpec
  catalog: Catalog
  clusters: ClusterPlan[]
  rendered: {baseline: KubeObject[]; byService: Record<string, KubeObject[]>}
  /** The record's active region; absent for a new environment (then regions.primary). */
  activeRegion?: string
}): EnvironmentPlan {
  const layers = dependencyLayers(input.catalog, Object.keys(input.rendered.byService))
  const active = activeRegionOf(input.env, input.activeRegion)
  const regions = input.clusters.map((cluster): RegionPlan => {
    const scale = regionScale(input.env, cluster.region, active)
    const waves = layers
      .map((layer) =>
        layer
          .map((service) => {
            const objects = input.rendered.byService[service.name] ?? []
            const own = objectsForRegion(objects, cluster.region)
            // Only apps are sized by role: the data services run in both regions whichever serves
            // (their members replicate across them), so their objects, disruption budgets
            // included, are the same everywhere, as `mygate failover` leaves them (it moves only
            // apps, src/failover/region-scale.ts), and env diff expects nothing else after one.
            return {service: service.name, objects: scale === 'full' || service.kind !== 'app' ? own : scaleForDisasterRecovery(own, scale)}
          })
          .filter((entry) => entry.objects.some((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')),
      )
      .filter((wave) => wave.length > 0)
    return {region: cluster.region, role: cluster.role, scale, baseline: input.rendered.baseline, waves}
  })
  return {environment: input.env.name, provider: input.env.provider, tier: input.env.tier, clusters: input.clusters, regions}
}

/**
 * How a region is sized: full where it serves (the active region; both in active-active, which
 * serves through weighted DNS), otherwise the environment's disaster-recovery scale.
 */
export function regionScale(env: EnvironmentSpec, region: string, activeRegion: string): 'full' | EnvironmentSpec['drMode'] {
  return region === activeRegion || env.drMode === 'active-active' ? 'full' : env.drMode
}

/**
 * The region that serves: the recorded one when it is still one of the environment's regions,
 * otherwise (a new environment, or a record naming a region since removed) regions.primary.
 */
export function activeRegionOf(env: Pick<EnvironmentSpec, 'regions'>, recorded: string | undefined): string {
  const regions = [env.regions.primary, env.regions.secondary].filter((r): r is string => r !== undefined)
  return recorded !== undefined && regions.includes(recorded) ? recorded : env.regions.primary
}

export function summarizePlan(plan: EnvironmentPlan): PlanSummary {
  return {
    environment: plan.environment,
    provider: plan.provider,
    tier: plan.tier,
    clusters: plan.clusters.map((c) => ({
      region: c.region,
      role: c.role,
      clusterName: c.clusterName,
      nodeGroups: c.nodeGroups.map((g) => `${g.name} (${g.capacity}, ${g.desiredSize}x ${g.instanceTypes.join('/')})`),
      supportingResources: c.supportingResources,
    })),
    regions: plan.regions.map((r) => ({
      region: r.region,
      role: r.role,
      scale: r.scale,
      baselineObjects: r.baseline.length,
      namespaces: r.baseline.filter((o) => o.kind === 'Namespace').map((o) => String(o.metadata.name)),
      waves: r.waves.map((wave) => wave.map((entry) => entry.service)),
      objects: r.baseline.length + r.waves.flat().reduce((n, entry) => n + entry.objects.length, 0),
    })),
  }
}

/** Lines for `--dry-run` in a terminal. */
export function planLines(summary: PlanSummary): string[] {
  const lines = [`Plan for environment ${summary.environment} (provider ${summary.provider}, tier ${summary.tier}):`]
  for (const c of summary.clusters) {
    lines.push(`  cluster ${c.clusterName} [${c.role}, region ${c.region}]`)
    for (const g of c.nodeGroups) lines.push(`    node group ${g}`)
    for (const s of c.supportingResources) lines.push(`    + ${s}`)
  }
  for (const r of summary.regions) {
    lines.push(`  region ${r.region} (${r.scale}): ${r.objects} objects`)
    lines.push(`    1. baseline: ${r.baselineObjects} objects, namespaces ${r.namespaces.join(', ')}`)
    r.waves.forEach((wave, i) => lines.push(`    ${i + 2}. services: ${wave.join(', ')}`))
  }
  return lines
}
