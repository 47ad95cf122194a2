import {requireService} from '../catalog/catalog.js'
import {loadCatalog} from '../catalog/load-catalog.js'
import type {Catalog} from '../catalog/types.js'
import {loadProjectConfig} from '../config/load-project-config.js'
import type {DriftSettings} from '../config/types.js'
import {connectEnvironment, type EnvironmentConnection} from '../env/connect.js'
import {UsageError, oneOf} from '../errors.js'
import {notServedLine} from '../kube/discovery.js'
import type {KubeObject} from '../kube/types.js'
import {ROLLOUT_NAMESPACE} from '../rollout/names.js'
import type {AwsClientConfig} from '../providers/aws/clients.js'
import {applyChangesNothing} from './apply-noop.js'
import {infrastructureDrift} from './infrastructure-drift.js'
import type {InfrastructureDrift} from './infrastructure.js'
import {compareObject, type FieldDifference} from './compare.js'
import {manifestsContributor} from './contributors/manifests.js'
import {backupSchedulesContributor} from './contributors/backup-schedules.js'
import {secretsContributor} from './contributors/secrets.js'
import {buildDesiredState, type DesiredObject, type DesiredStateContributor, renderedSpec} from './desired-state.js'
import {classify} from './drift-rules.js'
import type {FieldPath} from './field-path.js'
import {ownedByOperation, rolloutsInProgress} from './in-progress.js'
import {LiveObjects} from './live-objects.js'
import {redactField} from './redact.js'
import {handMadeBy, MYGATE_NAMESPACES, SCANNED_KINDS} from './undeclared.js'

/**
 * `mygate env diff`: the environment's desired state (desired-state.ts) against the live objects
 * of every region. Per region: one list per kind and namespace, then one server-side apply
 * dry-run per declared object that exists (compare.ts; skipped only where a literal comparison
 * proves the apply would change nothing, apply-noop.ts), each difference judged by the drift rule
 * (drift-rules.ts), plus the objects nothing declares (undeclared.ts).
 */

/** The contributors of today's desired state; areas that land later append theirs. */
export const DEFAULT_CONTRIBUTORS: readonly DesiredStateContributor[] = [manifestsContributor, secretsContributor, backupSchedulesContributor]

export interface DiffOptions {
  name: string
  /** Only these services' objects (the baseline objects of a service included); undeclared objects are then not looked for. */
  services?: string[]
  /** Only this region (default: every region of the environment). */
  region?: string
  /** mygate.yaml to read `drift.ignore` from (default ./mygate.yaml; the recorded spec's list when the file has no such environment). */
  configPath?: string
  home?: string
  catalog?: Catalog
  contributors?: readonly DesiredStateContributor[]
  /** Dry-runs in flight per region (default 16). */
  concurrency?: number
  /** Dry-run every object, even one a literal comparison shows an apply would not change (apply-noop.ts). Default false. */
  alwaysDryRun?: boolean
  /** AWS SDK settings for the infrastructure comparison (tests point it at moto). */
  awsClientConfig?: AwsClientConfig
}

/** One field of an object that drifted. Secret values appear only as `sha256:…` hashes. */
export interface DriftedField {
  field: string
  /** changed: values differ; missing: the live object lacks it; added: only the live object has it. */
  change: FieldDifference['kind']
  desired?: unknown
  live?: unknown
  /** The manager that set the live value (managedFields), newest first; absent when nobody owns it (a removed field). */
  owner?: string
  owners: string[]
}

export interface ObjectDrift {
  region: string
  apiVersion: string
  kind: string
  namespace?: string
  name: string
  service?: string
  /** drifted: fields differ; missing: declared and absent; undeclared: in a mygate namespace, declared by nothing. */
  status: 'drifted' | 'missing' | 'undeclared'
  fields: DriftedField[]
  /** undeclared: the manager that created it (kubectl-create). */
  createdBy?: string
}

/** A difference found and judged not to be drift, with why. */
export interface NotDrift {
  region: string
  kind: string
  namespace?: string
  name: string
  field: string
  because: string
}

export interface SkippedObject {
  region: string
  kind: string
  namespace?: string
  name: string
  reason: string
}

/** The `--json` result of `mygate env diff` (and the `diff` part of `env sync`). */
export interface EnvironmentDiff {
  environment: string
  tier: string
  activeRegion: string
  regions: string[]
  services?: string[]
  /** True when any object drifted, is missing or is undeclared (what `--exit-code` reports). */
  drifted: boolean
  objects: ObjectDrift[]
  notDrift: NotDrift[]
  /** Objects not compared: owned by an operation in progress, or of a kind the cluster does not serve. */
  skipped: SkippedObject[]
  /** Declared objects compared. */
  compared: number
  /** aws and gcp: the clusters and node groups against the spec (version, tags, instance types, capacity, scaling bounds); absent for local and kubeconfig and with --service. */
  infrastructure?: InfrastructureDrift[]
  /** Kubernetes API requests made (every region). */
  apiRequests: number
  durationMs: number
}

/** What sync needs beyond the report: the desired object and the hand-added paths to adopt then drop. */
export interface DriftFinding {
  report: ObjectDrift
  desired?: DesiredObject
  live?: KubeObject
  /** Paths others added inside what mygate renders (sync removes them before applying). */
  adopt: FieldPath[]
}

export interface DriftSession {
  connection: EnvironmentConnection
  regions: string[]
  services?: string[]
  live: Map<string, LiveObjects>
  desired: DesiredObject[]
  ignore: DriftSettings['ignore']
  /** When the session was opened (the diff's duration counts from here). */
  startedAt: number
  alwaysDryRun: boolean
  catalog: Catalog
  clientConfig?: AwsClientConfig
}

export async function diffEnvironment(options: DiffOptions): Promise<EnvironmentDiff> {
  const session = await openDriftSession(options)
  try {
    return (await findDrift(session, options)).diff
  } finally {
    session.connection.close()
  }
}

/** Connects, checks the flags against the record and builds the desired state. The caller closes `connection`. */
export async function openDriftSession(options: DiffOptions): Promise<DriftSession> {
  const startedAt = Date.now()
  const catalog = options.catalog ?? (await loadCatalog())
  for (const service of options.services ?? []) requireService(catalog, service)
  const ignore = await ignoreListFor(options)
  const connection = await connectEnvironment(options.name, {home: options.home})
  try {
    const {record} = connection
    const allRegions = [...connection.clients.keys()]
    if (options.region !== undefined && !allRegions.includes(options.region)) {
      throw new UsageError(`environment ${record.name} has no region "${options.region}": expected ${oneOf(allRegions)}`, {hint: 'drop --region to compare every region'})
    }
    const regions = options.region === undefined ? allRegions : [options.region]
    const live = new Map([...connection.clients].map(([region, client]) => [region, new LiveObjects(region, client)] as const))
    const desired = await buildDesiredState(
      {record, env: renderedSpec(record), catalog, regions, allRegions, live},
      options.contributors ?? DEFAULT_CONTRIBUTORS,
    )
    return {
      connection,
      regions,
      ...(options.services?.length ? {services: [...new Set(options.services)]} : {}),
      live,
      desired: options.services?.length ? desired.filter((d) => d.service !== undefined && options.services!.includes(d.service)) : desired,
      ignore: ignore ?? record.spec.drift?.ignore ?? [],
      startedAt,
      alwaysDryRun: Boolean(options.alwaysDryRun),
      catalog,
      ...(options.awsClientConfig ? {clientConfig: options.awsClientConfig} : {}),
    }
  } catch (error) {
    connection.close()
    throw error
  }
}

/** The environment's `drift.ignore` from mygate.yaml, when the file defines the environment. */
async function ignoreListFor(options: DiffOptions): Promise<DriftSettings['ignore'] | undefined> {
  const config = await loadProjectConfig({configPath: options.configPath})
  const env = config.environments.find((e) => e.name === options.name)
  return env ? (env.drift?.ignore ?? []) : undefined
}

export async function findDrift(session: DriftSession, options: Pick<DiffOptions, 'concurrency'> = {}): Promise<{diff: EnvironmentDiff; findings: DriftFinding[]}> {
  const {connection, desired} = session
  const {record} = connection
  const findings: DriftFinding[] = []
  const notDrift: NotDrift[] = []
  const skipped: SkippedObject[] = []
  let compared = 0

  await Promise.all(
    session.regions.map(async (region) => {
      const live = session.live.get(region)!
      const client = connection.clients.get(region)!
      const mine = desired.filter((d) => d.region === region)
      const busy = rolloutsInProgress((await live.list('v1', 'ConfigMap', ROLLOUT_NAMESPACE)) ?? [])
      const hpaTargets = new Map<string, Set<string>>()
      for (const {object} of mine) {
        if (object.kind !== 'HorizontalPodAutoscaler') continue
        const target = (object.spec as {scaleTargetRef?: {name?: string}} | undefined)?.scaleTargetRef?.name
        const ns = String(object.metadata.namespace)
        if (target) hpaTargets.set(ns, (hpaTargets.get(ns) ?? new Set()).add(target))
      }

      // Lists first, all at once: every kind the desired state holds, and the scanned kinds.
      const groups = new Map<string, {apiVersion: string; kind: string; namespace?: string}>()
      const addGroup = (apiVersion: string, kind: string, namespace?: string) => groups.set(`${apiVersion}|${kind}|${namespace ?? ''}`, {apiVersion, kind, namespace})
      for (const {object} of mine) addGroup(object.apiVersion, object.kind, object.metadata.namespace)
      if (session.services === undefined) for (const ns of MYGATE_NAMESPACES) for (const k of SCANNED_KINDS) addGroup(k.apiVersion, k.kind, ns)
      await Promise.all([...groups.values()].map((g) => live.list(g.apiVersion, g.kind, g.namespace)))

      const declared = new Set(mine.map(({object}) => objectKey(object)))
      let next = 0
      const worker = async () => {
        while (next < mine.length) {
          const item = mine[next++]
          const {object} = item
          const base = {region, kind: object.kind, ...(object.metadata.namespace ? {namespace: object.metadata.namespace} : {}), name: String(object.metadata.name)}
          const operation = ownedByOperation(object, busy)
          if (operation) {
            skipped.push({...base, reason: `owned by ${operation.description}`})
            continue
          }
          if ((await live.namespaced(object.apiVersion, object.kind)) === undefined) {
            skipped.push({...base, reason: notServedLine(object.apiVersion, object.kind)})
            continue
          }
          const current = await live.find(object)
          const report: ObjectDrift = {...base, apiVersion: object.apiVersion, ...(item.service ? {service: item.service} : {}), status: 'missing', fields: []}
          if (!current) {
            findings.push({report, desired: item, adopt: []})
            continue
          }
          compared++
          const dryRun = !session.alwaysDryRun && applyChangesNothing(object, current) ? current : await client.apply(object, {dryRun: true, force: true})
          const context = {kind: object.kind, name: base.name, namespace: base.namespace, hpaTargets: hpaTargets.get(base.namespace ?? '') ?? new Set<string>(), ignore: session.ignore}
          const adopt: FieldPath[] = []
          for (const difference of compareObject({desired: object, dryRun, live: current})) {
            const verdict = classify(difference, context)
            if (!verdict.drift) {
              notDrift.push({...base, field: difference.field, because: verdict.because})
              continue
            }
            report.fields.push(driftedField(object.kind, difference))
            if (difference.kind === 'added') adopt.push(difference.path)
          }
          if (report.fields.length > 0) findings.push({report: {...report, status: 'drifted'}, desired: item, live: current, adopt})
        }
      }
      await Promise.all(Array.from({length: Math.min(options.concurrency ?? 16, Math.max(1, mine.length))}, worker))

      if (session.services === undefined) {
        for (const group of groups.values()) {
          if (group.namespace === undefined || !MYGATE_NAMESPACES.includes(group.namespace)) continue
          for (const object of (await live.list(group.apiVersion, group.kind, group.namespace)) ?? []) {
            if (declared.has(objectKey(object))) continue
            const createdBy = handMadeBy(object)
            if (!createdBy || ownedByOperation(object, busy)) continue
            findings.push({
              report: {region, apiVersion: object.apiVersion, kind: object.kind, namespace: group.namespace, name: String(object.metadata.name), status: 'undeclared', fields: [], createdBy},
              live: object,
              adopt: [],
            })
          }
        }
      }
    }),
  )

  const infrastructure = session.services ? undefined : await infrastructureDrift(record, {services: session.catalog.services, regions: session.regions, clientConfig: session.clientConfig})
  const order = (f: ObjectDrift) => `${session.regions.indexOf(f.region)}|${f.namespace ?? ''}|${f.kind}|${f.name}`
  findings.sort((a, b) => order(a.report).localeCompare(order(b.report)))
  const diff: EnvironmentDiff = {
    environment: record.name,
    tier: record.spec.tier,
    activeRegion: record.activeRegion,
    regions: session.regions,
    ...(session.services ? {services: session.services} : {}),
    drifted: findings.length > 0 || (infrastructure?.length ?? 0) > 0,
    objects: findings.map((f) => f.report),
    notDrift: notDrift.sort((a, b) => `${a.region}${a.kind}${a.name}${a.field}`.localeCompare(`${b.region}${b.kind}${b.name}${b.field}`)),
    skipped,
    ...(infrastructure ? {infrastructure} : {}),
    compared,
    apiRequests: connection.requestCount(),
    durationMs: Date.now() - session.startedAt,
  }
  return {diff, findings}
}

function driftedField(kind: string, difference: FieldDifference): DriftedField {
  const owners = difference.owners.map((o) => o.manager)
  return {
    field: difference.field,
    change: difference.kind,
    ...('desired' in difference ? {desired: redactField(kind, difference.field, difference.desired)} : {}),
    ...('live' in difference ? {live: redactField(kind, difference.field, difference.live)} : {}),
    ...(owners.length > 0 ? {owner: owners[0]} : {}),
    owners: [...new Set(owners)],
  }
}

/** Kind, namespace and name: the group does not matter (one kind name per object in practice). */
export function objectKey(object: {kind?: string; metadata: {namespace?: string; name?: string}}): string {
  return `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`
}
