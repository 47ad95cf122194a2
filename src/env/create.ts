import type {Catalog} from '../catalog/types.js'
import type {EnvironmentSpec, ProviderName} from '../config/types.js'
import {BookkeepingError, ConflictError, isMygateError, NotFoundError, OperationFailedError, TimeoutError} from '../errors.js'
import {applyObjects, AppliedObject} from '../kube/apply.js'
import {notServedLine, servesKind} from '../kube/discovery.js'
import type {KubeApi} from '../kube/api.js'
import {KubeClient} from '../kube/client.js'
import {loadKubeconfig} from '../kube/kubeconfig/files.js'
import type {PodProblem} from '../kube/readiness.js'
import type {KubeObject} from '../kube/types.js'
import {FinalVerdict, waitForWorkloads} from '../kube/wait.js'
import type {ClusterHandle, ClusterProvider} from '../providers/types.js'
import {renderEnvironment} from '../render/render-environment.js'
import {validateObjects} from '../render/validate.js'
import {type EnsureSecretsResult, ensureSecrets, missingSecretsError, readersOf} from '../secrets/ensure.js'
import type {RandomGenerator} from '../secrets/generators.js'
import {type RestartedService, restartServices} from '../secrets/restart.js'
import {ensureTrafficEntry, type TrafficEntryResult} from '../traffic-dns/entry-points.js'
import {Phase, PhaseTiming, runPhases} from '../ui/progress.js'
import {cachedKubeconfigPath, connectEnvironment} from './connect.js'
import {createDatabases, databasesSummary} from './create-databases.js'
import {ensureMemberNames} from './member-names.js'
import {needsMemberZone, type MemberZoneResult} from '../providers/member-names.js'
import type {DatabaseFormation} from '../db/form-replica-sets.js'
import {annotateKubeconfig, environmentFromKubeconfig} from './kubeconfig-extension.js'
import {PlanSummary, RegionPlan, activeRegionOf, planEnvironment, summarizePlan} from './plan.js'
import {EnvironmentRecord, expiresAtOf, writeRecord} from './record.js'

export interface CreateEnvironmentOptions {
  env: EnvironmentSpec
  catalog: Catalog
  provider: ClusterProvider
  /** Stop once the clusters exist and the kubeconfig is written. */
  infraOnly?: boolean
  /** Compute and return the plan; change nothing. */
  dryRun?: boolean
  /** How long to wait for each wave of services to become ready (default 5 minutes). */
  waveTimeoutMs?: number
  home?: string
  interactive: boolean
  silent?: boolean
  now?: () => Date
  /** New random secret values (default: node:crypto); tests pass a deterministic one. */
  secretRandom?: (generator: RandomGenerator) => string
}

export interface ServiceVerdict {
  service: string
  region: string
  workload: string
  verdict: FinalVerdict
  message: string
  pods: PodProblem[]
}

/** The `--json` result of `mygate env create`. */
export interface CreateEnvironmentResult {
  environment: string
  provider: ProviderName
  dryRun: boolean
  plan: PlanSummary
  /** False when a re-run found everything as it should be. */
  changed: boolean
  clusters: ClusterHandle[]
  kubeconfig?: string
  contexts?: Record<string, string>
  /** `skipped`: one line per kind the cluster does not serve (src/kube/discovery.ts), e.g. PrometheusRule without prometheus-operator. */
  applied: {created: number; configured: number; unchanged: number; skipped: string[]}
  services: ServiceVerdict[]
  /** The Secrets step: generated, placeholder, missing and changed keys (names only, never values). */
  secrets?: EnsureSecretsResult
  /** Two regions on aws or gcp: the private zone that makes the members' clusterset names resolve (src/env/member-names.ts). */
  memberNames?: MemberZoneResult
  /** The Databases phase: each MongoDB replica set and its PRIMARY. */
  databases?: DatabaseFormation[]
  /** Services restarted because a value they read changed (a rebuilt connection string). */
  restarted: RestartedService[]
  /** The gateway's entry point per region and the environment's DNS records (see src/traffic-dns/entry-points.ts). */
  traffic?: TrafficEntryResult
  phases: PhaseTiming[]
  /** Kubernetes API requests made (all regions). */
  apiRequests: number
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'Job'])

/**
 * Plan, then act: render and validate everything, make the clusters exist, apply the baseline and
 * the services wave by wave (waiting on each by watch), then record the environment in its
 * clusters. Every step converges, so an interrupted create is finished by running it again.
 */
export async function createEnvironment(options: CreateEnvironmentOptions): Promise<CreateEnvironmentResult> {
  const {catalog, provider} = options
  const now = options.now ?? (() => new Date())
  // Input and credentials are checked before anything is shown as started: a bad value is one line.
  // An existing environment decides first: its provider may not even be configured here.
  const existing = await findExistingRecord(options.env.name, options.home)
  if (existing && existing.provider !== options.env.provider) {
    throw new ConflictError(`environment "${options.env.name}" already exists on provider ${existing.provider}, not ${options.env.provider}`, {
      hint: `destroy it first (\`mygate env destroy ${options.env.name}\`) or create it with --provider ${existing.provider}`,
    })
  }
  // Converging must not undo releases: versions deployed since (mygate deploy) win over the config.
  const env: EnvironmentSpec = existing ? {...options.env, versions: {...options.env.versions, ...existing.versions}} : options.env
  // Redis' roles follow the region that serves (the record's after a failover), not regions.primary.
  const rendered = await renderEnvironment({catalog, env, activeRegion: activeRegionOf(env, existing?.activeRegion)})
  await validateObjects(rendered.objects)
  const plan = planEnvironment({env, catalog, clusters: provider.planClusters(env), rendered, activeRegion: existing?.activeRegion})
  const result: CreateEnvironmentResult = {
    environment: env.name,
    provider: env.provider,
    dryRun: Boolean(options.dryRun),
    plan: summarizePlan(plan),
    changed: false,
    clusters: [],
    applied: {created: 0, configured: 0, unchanged: 0, skipped: []},
    services: [],
    restarted: [],
    phases: [],
    apiRequests: 0,
  }
  if (options.dryRun) {
    await provider.validate(env)
    return result
  }

  const clients = new Map<string, KubeClient>()
  const count = (applied: AppliedObject[]) => {
    for (const a of applied) result.applied[a.action]++
  }

  await provider.validate(env)

  const phases: Phase[] = [
    {
      title: 'Clusters',
      run: async (ctx) => {
        // An infra-only environment has no record to hold its TTL: its cached kubeconfig does,
        // counted from the first create (a re-run keeps it, as a record's createdAt is kept).
        const infraOnly = Boolean(options.infraOnly) && !existing
        const cached = infraOnly ? await environmentFromKubeconfig(cachedKubeconfigPath(env.name, options.home)) : undefined
        const createdAt = infraOnly ? ((cached?.infraOnly ? cached.createdAt : undefined) ?? now().toISOString()) : undefined
        result.clusters = await provider.ensureClusters(env, ctx)
        const kubeconfig = await provider.writeKubeconfig(env, result.clusters)
        const expiresAt = createdAt ? expiresAtOf(createdAt, env.ttl) : undefined
        await annotateKubeconfig(kubeconfig.path, {spec: env, infraOnly, ...(createdAt ? {createdAt} : {}), ...(expiresAt ? {expiresAt} : {})})
        result.kubeconfig = kubeconfig.path
        result.contexts = kubeconfig.contexts
        const config = await loadKubeconfig({explicit: kubeconfig.path})
        for (const cluster of result.clusters) clients.set(cluster.region, await KubeClient.forContext(config, cluster.context))
        return result.clusters.length
      },
      summarize: (n) => `${n} cluster${n === 1 ? '' : 's'} ready`,
    },
  ]

  if (!options.infraOnly) {
    phases.push(
      {
        title: 'Baseline',
        run: async (ctx) => {
          for (const region of plan.regions) {
            const client = clients.get(region.region)!
            const applied = await applyServed(client, region.baseline, result)
            count(applied)
            ctx.update(`${region.region}: ${describeApplied(applied)}`)
            // Record early (phase creating) so a half-created environment is found and finished.
            await writeRecord(client, buildRecord(env, result.clusters, existing, 'creating', now()))
          }
          return plan.regions.length
        },
        summarize: () => describeCounts(result.applied),
      },
      {
        // Before any service: on a real cluster a pod whose Secret is missing never starts.
        title: 'Secrets',
        run: async (ctx) => {
          const secrets = await ensureSecrets({clients, catalog, env, random: options.secretRandom})
          result.secrets = secrets
          for (const a of secrets.applied) result.applied[a.action]++
          for (const g of secrets.generated) ctx.update(`generated ${g.secret} (${g.keys.join(', ')})`)
          for (const p of secrets.placeholders) ctx.update(`placeholder for ${p.secret} (${p.keys.join(', ')}): dev tier; set it with \`mygate secrets set ${p.secret} --env ${env.name}\``)
          if (secrets.missing.length > 0 && env.tier !== 'dev') throw missingSecretsError(env, secrets.missing)
          return secrets
        },
        summarize: (secrets) => secretsSummary(secrets as EnsureSecretsResult),
      },
      // Two regions on aws or gcp only (local and kubeconfig clusters resolve the names themselves).
      ...(needsMemberZone(env)
        ? ([
          {
            // Before the Databases: the replica sets name their members by clusterset names, which
            // on aws and gcp resolve only through this private zone (local: the daemon answers them).
            title: 'Member names',
            run: async (ctx) => {
              result.memberNames = await ensureMemberNames({env, catalog, clients, plan, onProgress: ctx.update, apply: (client, objects) => applyServed(client, objects, result).then(count)})
              return result.memberNames
            },
            summarize: (zone) => {
              const names = zone as MemberZoneResult | undefined
              return names ? `${names.records.length} member names in ${names.domain}${names.changed.length > 0 ? `, ${names.changed.length} written` : ', all in shape'}` : 'no private zone needed'
            },
          },
          ] satisfies Phase[])
        : []),
      {
        // After the Secrets (the members read theirs) and before the apps: a member is Ready only
        // as PRIMARY or SECONDARY, so the sets must be formed before anything waits on them.
        title: 'Databases',
        run: async (ctx) => {
          result.databases = await createDatabases({clients, catalog, env, plan, activeRegion: activeRegionOf(env, existing?.activeRegion), onProgress: ctx.update, apply: (client, objects) => applyServed(client, objects, result).then(count)})
          return result.databases
        },
        summarize: (formed) => databasesSummary(formed as DatabaseFormation[]),
      },
      {
        // Base backups and oplog slices as CronJobs in the active region, writing to the region's bucket
        // (local: made on first use; aws/gcp: made with the clusters). kubeconfig has no object store.
        title: 'Backup schedules',
        run: async () => {
          if (env.provider === 'kubeconfig') return 0
          const {reconcileBackupSchedules} = await import('../backup/schedule/reconcile-schedules.js')
          return (await reconcileBackupSchedules({clients}, buildRecord(env, result.clusters, existing, 'creating', now()), {catalog, home: options.home})).applied.length
        },
        summarize: (n) => (n === 0 ? `no backup schedules (${env.provider}: no object store for backups)` : `${n} backup CronJobs in the active region`),
      },
      {
        // flagd, its FeatureFlag CRD when absent, and the bundled flags (all off) when the environment has none.
        title: 'Flags',
        run: async (ctx) => {
          const {ensureFlags} = await import('../flags/ensure-flags.js')
          for (const region of plan.regions) {
            const flags = await ensureFlags(clients.get(region.region)!, env.name)
            count(flags.applied)
            ctx.update(`${region.region}: flagd ${describeApplied(flags.applied)}${flags.crdInstalled ? ', FeatureFlag CRD installed' : ''}${flags.seeded ? ', bundled flags written' : ''}`)
          }
          return plan.regions.length
        },
        summarize: (n) => `flags served by flagd in ${n} region${n === 1 ? '' : 's'}`,
      },
      {
        title: 'Services',
        run: async (ctx) => {
          const waveTimeoutMs = options.waveTimeoutMs ?? 300_000
          const perRegion = await Promise.all(plan.regions.map((region) => deployRegion(clients.get(region.region)!, region, result, ctx.update, waveTimeoutMs)))
          result.services = perRegion.flat()
          // A changed value (a connection string rebuilt for a new topology) reaches pods only through a restart.
          const readers = readersOf(result.secrets?.changes ?? [])
          if (readers.length > 0) result.restarted = await restartServices(clients, catalog, readers, {timeoutMs: waveTimeoutMs, now, onProgress: ctx.update})
          return result.services
        },
        summarize: (verdicts) => verdictSummary(verdicts as ServiceVerdict[]) + (result.restarted.length > 0 ? `, ${result.restarted.length} restarted for changed secrets` : ''),
      },
      {
        // After the gateway is up: DNS then points at entry points that serve.
        title: 'Traffic',
        run: async (ctx) => {
          result.traffic = await ensureTrafficEntry({env, catalog, clients, activeRegion: existing?.activeRegion ?? env.regions.primary, home: options.home, onProgress: ctx.update})
          return result.traffic
        },
        summarize: (traffic) => trafficSummary(traffic as TrafficEntryResult),
      },
      {
        title: 'Record',
        run: async () => {
          try {
            for (const client of clients.values()) await writeRecord(client, buildRecord(env, result.clusters, existing, 'ready', now(), deployedVersions(rendered.byService)))
          } catch (error) {
            // Everything is applied and ready; only the record saying so is missing (exit 8, not a failed create).
            if (!isMygateError(error)) throw error
            throw new BookkeepingError(`environment ${env.name} is ready; could not record it: ${error.message}`, {
              hint: `run \`mygate env create ${env.name}\` to record it (a re-run changes nothing else)`,
            })
          }
          return 'ready'
        },
        summarize: () => `environment ${env.name} recorded in ${clients.size} cluster${clients.size === 1 ? '' : 's'}`,
      },
    )
  }

  try {
    result.phases = await runPhases(phases, {interactive: options.interactive, silent: options.silent})
  } finally {
    result.apiRequests = [...clients.values()].reduce((n, c) => n + c.requestCount, 0)
    for (const client of clients.values()) client.close()
  }
  result.changed = result.applied.created + result.applied.configured > 0 || !existing
  return result
}

/** Applies objects whose kinds the cluster serves; CRD-backed kinds it lacks are skipped and reported. */
async function applyServed(client: KubeApi, objects: KubeObject[], result: CreateEnvironmentResult): Promise<AppliedObject[]> {
  const served: KubeObject[] = []
  for (const object of objects) {
    if (await servesKind(client, object.apiVersion, object.kind)) {
      served.push(object)
      continue
    }
    // One line per kind (discovery.ts), not one per object: eight PrometheusRules, one cause.
    const what = notServedLine(object.apiVersion, object.kind)
    if (!result.applied.skipped.includes(what)) result.applied.skipped.push(what)
  }
  return applyObjects(client, served)
}

async function deployRegion(
  client: KubeApi,
  region: RegionPlan,
  result: CreateEnvironmentResult,
  update: (message: string) => void,
  waveTimeoutMs: number,
): Promise<ServiceVerdict[]> {
  const verdicts: ServiceVerdict[] = []
  for (const wave of region.waves) {
    const objects = wave.flatMap((entry) => entry.objects)
    const applied = await applyServed(client, objects, result)
    for (const a of applied) result.applied[a.action]++
    const workloads = objects.filter((o) => WORKLOAD_KINDS.has(o.kind))
    const serviceOf = new Map(wave.flatMap((entry) => entry.objects.map((o) => [`${o.kind}/${o.metadata.name}`, entry.service] as const)))
    const results = await waitForWorkloads(
      client,
      workloads.map((o) => ({apiVersion: o.apiVersion, kind: o.kind, namespace: String(o.metadata.namespace), name: String(o.metadata.name)})),
      {
        timeoutMs: waveTimeoutMs,
        onResult: (r) => update(`${region.region}: ${r.ref.kind.toLowerCase()}/${r.ref.name} ${r.verdict} (${r.message})`),
      },
    )
    for (const r of results) {
      verdicts.push({
        service: serviceOf.get(`${r.ref.kind}/${r.ref.name}`) ?? r.ref.name,
        region: region.region,
        workload: `${r.ref.kind}/${r.ref.namespace}/${r.ref.name}`,
        verdict: r.verdict,
        message: r.message,
        pods: r.pods,
      })
    }
    const bad = verdicts.filter((v) => v.verdict !== 'succeeded')
    if (bad.length > 0) throw failureFor(bad, result, verdicts)
  }
  return verdicts
}

/** A failed or timed-out wave stops the create: later waves depend on it. */
function failureFor(bad: ServiceVerdict[], result: CreateEnvironmentResult, verdicts: ServiceVerdict[]): Error {
  result.services = verdicts
  const describe = (v: ServiceVerdict) => {
    const pods = v.pods.slice(0, 3).map((p) => `${p.pod}: ${p.reason}`)
    return `${v.service} in ${v.region} ${v.verdict} (${pods.length > 0 ? pods.join('; ') : v.message})`
  }
  const message = `${bad.length} service${bad.length === 1 ? '' : 's'} not ready: ${bad.map(describe).join(', ')}`
  const hint = 'fix the cause and re-run `mygate env create` to finish; what succeeded is kept'
  const details = {services: verdicts}
  return bad.every((v) => v.verdict === 'timed out') ? new TimeoutError(message, {hint, details}) : new OperationFailedError(message, {hint, details})
}

function buildRecord(
  env: EnvironmentSpec,
  clusters: ClusterHandle[],
  existing: EnvironmentRecord | undefined,
  phase: EnvironmentRecord['phase'],
  now: Date,
  versions?: Record<string, string>,
): EnvironmentRecord {
  const createdAt = existing?.createdAt ?? now.toISOString()
  return {
    schemaVersion: 1,
    name: env.name,
    provider: env.provider,
    spec: env,
    clusters,
    activeRegion: activeRegionOf(env, existing?.activeRegion),
    versions: {...existing?.versions, ...versions},
    phase,
    createdAt,
    updatedAt: now.toISOString(),
    ...(env.ttl ? {expiresAt: expiresAtOf(createdAt, env.ttl)} : {}),
  }
}

function deployedVersions(byService: Record<string, KubeObject[]>): Record<string, string> {
  const versions: Record<string, string> = {}
  for (const [service, objects] of Object.entries(byService)) {
    const workload = objects.find((o) => WORKLOAD_KINDS.has(o.kind))
    const version = workload?.metadata.labels?.['app.kubernetes.io/version']
    if (version) versions[service] = version
  }
  return versions
}

/**
 * The record of an environment this machine already knows (its kubeconfig is cached). Only "not
 * found" (no cached kubeconfig, or clusters that answer and hold no record) means a new
 * environment; any other failure (no cluster answers, a record that does not parse) stops the
 * create with its cause, since treating a known environment as new would reset its deployed
 * versions, active region and creation time.
 */
async function findExistingRecord(name: string, home?: string): Promise<EnvironmentRecord | undefined> {
  try {
    const connection = await connectEnvironment(name, {home, tolerateUnreachable: true})
    connection.close()
    return connection.record
  } catch (error) {
    if (error instanceof NotFoundError) return undefined
    throw error
  }
}

function describeApplied(applied: AppliedObject[]): string {
  const counts = {created: 0, configured: 0, unchanged: 0}
  for (const a of applied) counts[a.action]++
  return describeCounts(counts)
}

function describeCounts(counts: {created: number; configured: number; unchanged: number}): string {
  return `${counts.created} created, ${counts.configured} configured, ${counts.unchanged} unchanged`
}

function secretsSummary(secrets: EnsureSecretsResult): string {
  const count = (list: Array<{keys: string[]}>) => list.reduce((n, entry) => n + entry.keys.length, 0)
  const parts = [`${new Set(secrets.applied.map((a) => a.name)).size} secrets`]
  if (secrets.generated.length > 0) parts.push(`${count(secrets.generated)} keys generated`)
  if (secrets.placeholders.length > 0) parts.push(`${secrets.placeholders.length} on placeholders`)
  if (secrets.changes.length > 0) parts.push(`${secrets.changes.length} values rebuilt`)
  return parts.join(', ')
}

function trafficSummary(traffic: TrafficEntryResult): string {
  const entries = `${traffic.entryPoints.length} entry point${traffic.entryPoints.length === 1 ? '' : 's'}`
  return traffic.dns ? `${entries}; ${traffic.dns.name} -> ${traffic.dns.active.join(', ')}` : entries
}

function verdictSummary(verdicts: ServiceVerdict[]): string {
  const ok = verdicts.filter((v) => v.verdict === 'succeeded').length
  return `${ok}/${verdicts.length} workloads ready`
}

