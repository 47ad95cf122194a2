import type {Catalog, ServiceDescriptor, Tier} from '../catalog/types.js'
import {cpuMillicores, formatCpu, formatMemory, memoryBytes} from '../catalog/quantity.js'

/**
 * ResourceQuota and LimitRange numbers per tier, derived from the catalog so the quota always
 * leaves room for what the renderer itself produces.
 *
 * Apps namespace: for every app service, the most pods it can run in the tier (its replicas, or
 * the HPA maximum where the tier autoscales) times {@link ROLLOUT_HEADROOM}, because a
 * blue-green rollout runs a full second copy and a canary a partial one. Data namespace: the
 * StatefulSet replicas (they roll one pod at a time, without surge) plus their volumes.
 * Each figure is raised to the tier's floor so quotas grow dev < staging < prod even for tiny
 * catalogs.
 *
 * Worked example (one app, prod: 3 replicas, HPA max 6, requests 100m / 128Mi):
 * pods = 6 x 2 = 12, requests.cpu = 12 x 100m = 1200m, raised to the prod floor (32 cores).
 */
export const ROLLOUT_HEADROOM = 2

export interface QuotaFigures {
  requestsCpu: string
  requestsMemory: string
  limitsCpu: string
  limitsMemory: string
  pods: number
  /** Data namespace only. */
  requestsStorage?: string
  persistentVolumeClaims?: number
}

export interface LimitRangeFigures {
  defaultCpu: string
  defaultMemory: string
  defaultRequestCpu: string
  defaultRequestMemory: string
  maxCpu: string
  maxMemory: string
}

interface Floor {
  cpuMillis: number
  memoryBytes: number
  pods: number
  storageBytes: number
}

const GI = 1024 ** 3

const FLOORS: Record<Tier, Floor> = {
  dev: {cpuMillis: 4_000, memoryBytes: 8 * GI, pods: 40, storageBytes: 20 * GI},
  staging: {cpuMillis: 16_000, memoryBytes: 32 * GI, pods: 120, storageBytes: 200 * GI},
  prod: {cpuMillis: 64_000, memoryBytes: 128 * GI, pods: 400, storageBytes: 1000 * GI},
}

/** Per-container limits: defaults for containers that state none, and the largest allowed. */
export const LIMIT_RANGES: Record<Tier, LimitRangeFigures> = {
  dev: {defaultCpu: '250m', defaultMemory: '256Mi', defaultRequestCpu: '50m', defaultRequestMemory: '64Mi', maxCpu: '2', maxMemory: '4Gi'},
  staging: {defaultCpu: '500m', defaultMemory: '512Mi', defaultRequestCpu: '100m', defaultRequestMemory: '128Mi', maxCpu: '4', maxMemory: '8Gi'},
  prod: {defaultCpu: '1', defaultMemory: '1Gi', defaultRequestCpu: '250m', defaultRequestMemory: '256Mi', maxCpu: '8', maxMemory: '32Gi'},
}

/** Whether the tier runs an HorizontalPodAutoscaler for the service (never in dev). */
export function autoscalesIn(service: ServiceDescriptor, tier: Tier): boolean {
  return service.kind === 'app' && service.autoscaling !== undefined && tier !== 'dev'
}

/** The most pods one copy of the service runs in the tier. */
export function maxPods(service: ServiceDescriptor, tier: Tier): number {
  const replicas = service.tiers[tier].replicas
  return autoscalesIn(service, tier) ? Math.max(replicas, service.autoscaling!.maxReplicas) : replicas
}

function sumQuota(services: ServiceDescriptor[], tier: Tier, headroom: number): {cpu: number; memory: number; limitsCpu: number; limitsMemory: number; pods: number; storage: number; claims: number} {
  const total = {cpu: 0, memory: 0, limitsCpu: 0, limitsMemory: 0, pods: 0, storage: 0, claims: 0}
  for (const service of services) {
    const settings = service.tiers[tier]
    const pods = maxPods(service, tier) * headroom
    total.pods += pods
    total.cpu += pods * cpuMillicores(settings.resources.requests.cpu)
    total.memory += pods * memoryBytes(settings.resources.requests.memory)
    total.limitsCpu += pods * cpuMillicores(settings.resources.limits.cpu)
    total.limitsMemory += pods * memoryBytes(settings.resources.limits.memory)
    if (settings.storage) {
      total.storage += settings.replicas * memoryBytes(settings.storage)
      total.claims += settings.replicas
    }
  }
  return total
}

function databaseStorage(service: ServiceDescriptor, tier: Tier): number {
  const settings = service.tiers[tier]
  return settings.storage ? settings.replicas * memoryBytes(settings.storage) : 0
}

export function quotaFor(catalog: Catalog, tier: Tier, role: 'apps' | 'data'): QuotaFigures {
  const floor = FLOORS[tier]
  const services = catalog.services.filter((s) => (role === 'apps' ? s.kind === 'app' : s.kind !== 'app'))
  // A restore builds its set beside the live one (src/backup/restore/): room for one restored
  // set of the largest database (by storage), or its claims would be refused at admission.
  const largest = role === 'data' ? [...services].filter((s) => s.kind === 'mongodb').sort((a, b) => databaseStorage(b, tier) - databaseStorage(a, tier))[0] : undefined
  const sum = sumQuota(largest ? [...services, largest] : services, tier, role === 'apps' ? ROLLOUT_HEADROOM : 1)
  const figures: QuotaFigures = {
    requestsCpu: formatCpu(Math.max(sum.cpu, floor.cpuMillis)),
    requestsMemory: formatMemory(Math.max(sum.memory, floor.memoryBytes)),
    limitsCpu: formatCpu(Math.max(sum.limitsCpu, floor.cpuMillis * 2)),
    limitsMemory: formatMemory(Math.max(sum.limitsMemory, floor.memoryBytes * 2)),
    pods: Math.max(sum.pods, floor.pods),
  }
  if (role === 'data') {
    figures.requestsStorage = formatMemory(Math.max(sum.storage, floor.storageBytes))
    figures.persistentVolumeClaims = Math.max(sum.claims, Math.ceil(floor.pods / 4))
  }
  return figures
}
