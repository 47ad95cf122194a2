import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {Catalog, ServiceDescriptor} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {requireService} from '../catalog/catalog.js'
import {UsageError} from '../errors.js'
import type {KubeObject} from '../kube/types.js'
import {packagePath} from '../package-root.js'
import {appContext, baselineLabels, crossRegionContext, dataContext, memberContext, NamespaceRole, namespaceContext, servicePolicyContext} from './contexts.js'
import {renderOpsConfigMap} from '../db/ops-configmap.js'
import {memberRanges} from '../providers/member-network.js'
import {replicaSetTopology} from '../db/topology.js'
import {redisTopology} from '../db/redis-topology.js'
import {readRedisEntrypoint} from '../db/redis-replication.js'
import {commonLabels, imageTag} from './labels.js'
import {sortObjects} from '../kube/apply-order.js'
import {CompiledTemplate, TemplateContext, renderTemplate} from './template-engine.js'
import {TemplateDirs, defaultTemplateDirs, loadTemplateFile, loadTemplateFolder} from './template-loader.js'

export interface RenderOptions {
  catalog: Catalog
  env: EnvironmentSpec
  /** Only these services (names from the catalog); default: every service. */
  services?: string[]
  /** Include the baseline (namespaces, policies, RBAC, quotas, alerts). Default true. */
  includeBaseline?: boolean
  /** Default: {@link defaultTemplateDirs} (bundled folders or the MYGATE_*_DIR overrides). */
  dirs?: TemplateDirs
  /**
   * The region that serves (the environment record's `activeRegion`); default the configured
   * primary. Only Redis' roles depend on it (src/db/redis-topology.ts): a re-render after a
   * failover keeps the live master.
   */
  activeRegion?: string
}

/**
 * `objects` is everything, sorted for applying; `baseline` and `byService` split the same
 * objects (disjoint): the baseline holds the namespaces, namespace policies and the per-service
 * Role, RoleBinding and PrometheusRule; `byService[name]` holds what templates/ renders for it.
 */
export interface RenderResult {
  objects: KubeObject[]
  baseline: KubeObject[]
  byService: Record<string, KubeObject[]>
}

const NAMESPACE_ROLES: NamespaceRole[] = ['apps', 'data', 'system']

let packageVersion: string | undefined

/** The mygate version, the `app.kubernetes.io/version` of baseline objects (and of Secrets, src/secrets/). */
export function mygateVersion(): string {
  packageVersion ??= (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as {version: string}).version
  return packageVersion
}

/** A template's documents as objects, each checked to be one and stamped with `labels`. */
export function toObjects(template: CompiledTemplate, context: TemplateContext, labels: Record<string, string>): KubeObject[] {
  return renderTemplate(template, context).map((document) => {
    const object = document as KubeObject
    const metadata = object?.metadata
    if (
      typeof object !== 'object' || object === null || Array.isArray(object) ||
      typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' ||
      typeof metadata !== 'object' || metadata === null || typeof metadata.name !== 'string'
    ) {
      throw new UsageError(`${template.file}: a document is not a Kubernetes object (needs apiVersion, kind and metadata.name)`, {
        hint: 'every document in a template must render to one object',
      })
    }
    // The label contract wins over whatever a template wrote (see labels.ts).
    metadata.labels = {...metadata.labels, ...labels}
    return object
  })
}

async function renderFolder(dir: string, context: TemplateContext, labels: Record<string, string>): Promise<KubeObject[]> {
  const templates = await loadTemplateFolder(dir)
  return templates.flatMap((template) => toObjects(template, context, labels))
}

/** The objects templates/ produces for one service (apps: templates/app, data: templates/KIND). */
export async function renderService(
  service: ServiceDescriptor,
  env: EnvironmentSpec,
  options: {catalog: Catalog; dirs?: TemplateDirs; activeRegion?: string},
): Promise<KubeObject[]> {
  const dirs = options.dirs ?? defaultTemplateDirs()
  const redisEntrypoint = service.kind === 'redis' ? await readRedisEntrypoint(dirs.templates) : undefined
  const context = service.kind === 'app' ? appContext(service, env, options.catalog) : dataContext(service, env, options.catalog, {activeRegion: options.activeRegion, redisEntrypoint})
  const labels = commonLabels(service.name, imageTag(service, env), env.name)
  const objects = await renderFolder(join(dirs.templates, service.kind), context, labels)
  // A replica set across two regions: a Service per member, each applied in its member's region.
  if (service.kind === 'mongodb' && env.regions.secondary) {
    for (const member of replicaSetTopology(service, env).members) {
      objects.push(...(await renderFolder(join(dirs.templates, 'mongodb', 'member'), memberContext(service, env, member), labels)))
    }
  }
  // Two regions on aws, gcp or local: per region, the address ranges the member names need (src/providers/member-network.ts).
  if ((service.kind === 'mongodb' || service.kind === 'redis') && env.regions.secondary && memberRanges(env, env.regions.primary)) {
    for (const region of [env.regions.primary, env.regions.secondary]) {
      objects.push(...(await renderFolder(join(dirs.templates, service.kind, 'cross-region'), crossRegionContext(service, env, region), labels)))
    }
  }
  // Redis across two regions: the secondary region's own StatefulSet (one member,
  // src/db/redis-topology.ts) and replication ConfigMap beside the primary region's, and a Service
  // per member.
  if (service.kind === 'redis' && env.regions.secondary) {
    const secondary = env.regions.secondary
    const context = dataContext(service, env, options.catalog, {region: secondary, activeRegion: options.activeRegion, redisEntrypoint})
    const own = (await renderFolder(join(dirs.templates, 'redis'), context, labels)).filter((o) => o.kind === 'StatefulSet' || o.kind === 'ConfigMap')
    objects.push(...own)
    for (const member of redisTopology(service, env, options.activeRegion).members) {
      objects.push(...(await renderFolder(join(dirs.templates, 'redis', 'member'), memberContext(service, env, member), labels)))
    }
  }
  return sortObjects(objects)
}

/**
 * The baseline: manifests/per-namespace for each namespace, manifests/per-service for each app
 * service in `services` (default: all), templates/backup/alerts.yaml for each backed-up database
 * in `services`. Quotas are always sized from the whole catalog, so a
 * partial render never shrinks them.
 */
export async function renderBaseline(
  catalog: Catalog,
  env: EnvironmentSpec,
  options: {services?: ServiceDescriptor[]; dirs?: TemplateDirs} = {},
): Promise<KubeObject[]> {
  const dirs = options.dirs ?? defaultTemplateDirs()
  const objects: KubeObject[] = []
  const labels = baselineLabels(env, mygateVersion())
  for (const role of NAMESPACE_ROLES) {
    objects.push(...(await renderFolder(join(dirs.manifests, 'per-namespace'), namespaceContext(role, env, catalog), labels)))
  }
  // The scripts every database Job mounts (src/db/run-operation.ts), once per environment.
  if (catalog.services.some((service) => service.kind === 'mongodb')) {
    objects.push(await renderOpsConfigMap({labels, templatesDir: dirs.templates}))
  }
  for (const service of options.services ?? catalog.services) {
    if (service.kind !== 'app') continue
    const serviceLabels = commonLabels(service.name, imageTag(service, env), env.name)
    objects.push(...(await renderFolder(join(dirs.manifests, 'per-service'), servicePolicyContext(service, env), serviceLabels)))
  }
  // The backup alerts of each backed-up database among `services`, beside its backup CronJobs.
  const databases = (options.services ?? catalog.services).filter((service) => service.kind === 'mongodb').map((service) => service.name)
  if (databases.length > 0) {
    const {backupAlertContexts} = await import('../backup/alerts/backup-alerts.js')
    const template = await loadTemplateFile(join(dirs.templates, 'backup', 'alerts.yaml'))
    for (const context of backupAlertContexts(catalog, env.name, databases)) objects.push(...toObjects(template, context, labels))
  }
  return sortObjects(objects)
}

/** Picks the named services, failing with the known names when one does not exist. */
export function selectServices(catalog: Catalog, names: string[] | undefined): ServiceDescriptor[] {
  if (names === undefined || names.length === 0) return catalog.services
  return [...new Set(names)].map((name) => requireService(catalog, name))
}

/** Catalog + environment -> every object to apply. Validate with validateObjects() before use. */
export async function renderEnvironment(options: RenderOptions): Promise<RenderResult> {
  const dirs = options.dirs ?? defaultTemplateDirs()
  const selected = selectServices(options.catalog, options.services)
  const byService: Record<string, KubeObject[]> = {}
  for (const service of selected) {
    byService[service.name] = await renderService(service, options.env, {catalog: options.catalog, dirs, activeRegion: options.activeRegion})
  }
  const baseline = options.includeBaseline === false ? [] : await renderBaseline(options.catalog, options.env, {services: selected, dirs})
  const objects = sortObjects([...baseline, ...Object.values(byService).flat()])
  return {objects, baseline, byService}
}
