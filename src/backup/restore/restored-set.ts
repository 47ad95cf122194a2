import {join} from 'node:path'

import type {Catalog, ServiceDescriptor} from '../../catalog/types.js'
import type {EnvironmentSpec} from '../../config/types.js'
import {NAMESPACES} from '../../config/types.js'
import {membersIn, topologyWithActive, type ReplicaSetTopology} from '../../db/topology.js'
import type {KubeObject} from '../../kube/types.js'
import {needsMemberZone} from '../../providers/member-names.js'
import {memberRanges} from '../../providers/member-network.js'
import {crossRegionContext, dataContext, memberContext} from '../../render/contexts.js'
import {commonLabels, imageReference, imageTag, podSelectorLabels} from '../../render/labels.js'
import {toObjects} from '../../render/render-environment.js'
import {defaultTemplateDirs, loadTemplateFolder, type TemplateDirs} from '../../render/template-loader.js'

/**
 * A replica set restored from a backup, beside the live one: the live database's own templates
 * (templates/mongodb/, as `env create` renders them) under another name, in a given namespace,
 * with its own credentials Secret. Pure apart from reading the templates, so tests assert on it.
 *
 * Every object carries LABEL_RESTORED_SET, so removeRestoredSet finds all of it (and a re-run of
 * a killed restore finds what the earlier run created).
 */

export const LABEL_RESTORED_SET = 'mygate.dev/restored-set'
/** The backup a restored set was restored from. */
export const LABEL_RESTORED_FROM = 'mygate.dev/restored-from'

export interface RestoredSetSpec {
  /** The live database's descriptor (`visitors-db`): templates, image, port, tier settings. */
  database: ServiceDescriptor
  /** The new set's name: StatefulSet, Service, `--replSet`, and the prefix of its Secrets. */
  set: string
  namespace: string
  /** Members (default: the tier's replica count, in one region). Ignored when it spans the regions. */
  replicas?: number
  /**
   * Laid out like the live set across the environment's regions (restoredSetSpansRegions): the
   * same members per region, clusterset member names, a StatefulSet in each region's cluster.
   * Default false: every member in the active region (a verification's scratch set).
   */
  acrossRegions?: boolean
  /** The region the PRIMARY is elected from (the record's active region; default the configured primary). */
  activeRegion?: string
}

/**
 * Whether a restore's set spans the regions like the live one: two regions, and member names that
 * resolve without the private zone. On aws and gcp the clusterset names resolve through the zone
 * `env create`'s Member names step writes (src/env/member-names.ts), whose `ensure` replaces the
 * zone's whole record set with the live topology's members: records for a restored set's members
 * would be deleted by the next `env create`, leaving the service on names that no longer resolve.
 * Until that zone can hold records mygate adds beside the topology's, a cloud restore stays in the
 * active region (and its switch is refused: restore-run.ts, refuseSwitchAcrossRegions).
 */
export function restoredSetSpansRegions(env: Pick<EnvironmentSpec, 'provider' | 'regions'>): boolean {
  return env.regions.secondary !== undefined && !needsMemberZone(env)
}

export function credentialsSecretName(set: string): string {
  return `${set}-credentials`
}

/**
 * In one region, members are `SET-i.SET.NAMESPACE.svc.cluster.local:PORT` through the set's
 * headless Service, all voting. Across regions (mygate-data only), the live set's layout under the
 * set's name (src/db/topology.ts, topologyWithActive): `SET-REGION-i.mygate-data.svc.clusterset.local`,
 * the active region's members with the PRIMARY's priority and the majority of votes.
 *
 * Example, prod, regions west/east, active east: east-0..2 priority 2, votes 1; west-0, west-1
 * priority 1, votes 1; west-2 priority 0, votes 0.
 */
export function restoredSetTopology(spec: RestoredSetSpec, env: Pick<EnvironmentSpec, 'tier' | 'regions'>): ReplicaSetTopology {
  const region = spec.activeRegion ?? env.regions.primary
  if (spec.acrossRegions && env.regions.secondary !== undefined) {
    if (spec.namespace !== NAMESPACES.data) throw new Error(`a restored set spans the regions in ${NAMESPACES.data} only (member Services are ${NAMESPACES.data} names), not in ${spec.namespace}`)
    return topologyWithActive({...spec.database, name: spec.set}, env, region)
  }
  const replicas = spec.replicas ?? spec.database.tiers[env.tier].replicas
  const members = Array.from({length: replicas}, (_, ordinal) => {
    const pod = `${spec.set}-${ordinal}`
    return {host: `${pod}.${spec.set}.${spec.namespace}.svc.cluster.local:${spec.database.port}`, region, ordinal, pod, priority: 1, votes: 1 as const}
  })
  return {set: spec.set, port: spec.database.port, primaryRegion: region, members}
}

/**
 * The descriptor the templates see: the live database's, renamed, its credentials Secret renamed
 * with it (so the new set's root user and key file are its own, never the live set's).
 */
export function restoredDescriptor(database: ServiceDescriptor, set: string): ServiceDescriptor {
  const liveSecret = credentialsSecretName(database.name)
  return {...database, name: set, secrets: database.secrets.map((s) => (s.secretName === liveSecret ? {...s, secretName: credentialsSecretName(set)} : s))}
}

export function restoredSetLabels(set: string, backupId: string): Record<string, string> {
  // Kubernetes label values are at most 63 characters; a backup id is ~36.
  return {[LABEL_RESTORED_SET]: set, [LABEL_RESTORED_FROM]: backupId.toLowerCase().slice(0, 63)}
}

/**
 * StatefulSet, headless Service, NetworkPolicies (and a PodDisruptionBudget with more than one
 * member) from templates/mongodb/, for the new set. Two differences from the live set, both
 * because the set is a restore target: its members also admit the restore Job's pods (labelled
 * with the target set by templates/backup/restore-job.yaml), and nothing else than mygate's own
 * Jobs reach it (no app depends on it until a restore switches one over).
 *
 * Across regions, what renderService adds for the live set too: a Service per member
 * (templates/mongodb/member/) and, on a cloud, the `-cross-region` policies
 * (templates/mongodb/cross-region/), each labelled with its region (mygate.dev/region); the rest is
 * applied in every region (objectsForRegion picks a region's share), as `env create` does.
 */
export async function renderRestoredSet(spec: RestoredSetSpec & {backupId: string}, env: EnvironmentSpec, catalog: Catalog, dirs: TemplateDirs = defaultTemplateDirs()): Promise<KubeObject[]> {
  const descriptor = restoredDescriptor(spec.database, spec.set)
  // Per region (a StatefulSet in each region's cluster across regions): the live set's count.
  const replicas = membersIn(restoredSetTopology(spec, env), spec.activeRegion ?? env.regions.primary).length
  const version = imageTag(spec.database, env)
  const base = dataContext(descriptor, env, catalog)
  const network = base.network as Record<string, unknown>
  const context = {
    ...base,
    namespace: spec.namespace,
    image: imageReference(spec.database, env),
    version,
    podLabels: {...commonLabels(spec.set, version, env.name), ...podSelectorLabels(spec.set)},
    replicas,
    disruption: {enabled: replicas > 1},
    network: {
      ...network,
      // The restore Job's pods carry the target set (templates/backup/restore-job.yaml).
      backupJobs: {'app.kubernetes.io/component': 'backup', 'mygate.dev/target-set': spec.set},
      // The weekly verification reads the bucket, never a set: a restored set needs no policy for it.
      verifyEnabled: false,
    },
  }
  const labels = {...commonLabels(spec.set, version, env.name), ...restoredSetLabels(spec.set, spec.backupId)}
  const templates = await loadTemplateFolder(join(dirs.templates, 'mongodb'))
  const objects = templates.flatMap((template) => toObjects(template, context, labels))
  const {secondary} = env.regions
  if (!spec.acrossRegions || secondary === undefined) return objects
  for (const member of restoredSetTopology(spec, env).members) {
    const folder = await loadTemplateFolder(join(dirs.templates, 'mongodb', 'member'))
    objects.push(...folder.flatMap((template) => toObjects(template, memberContext(descriptor, env, member), labels)))
  }
  if (memberRanges(env, env.regions.primary)) {
    const folder = await loadTemplateFolder(join(dirs.templates, 'mongodb', 'cross-region'))
    for (const region of [env.regions.primary, secondary]) objects.push(...folder.flatMap((template) => toObjects(template, crossRegionContext(descriptor, env, region), labels)))
  }
  return objects
}

/** The new set's credentials (root user, password, replica-set key), generated by the caller. */
export function restoredSetCredentials(
  spec: {set: string; namespace: string; backupId: string},
  values: {username: string; password: string; keyFile: string},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: credentialsSecretName(spec.set), namespace: spec.namespace, labels: {'app.kubernetes.io/managed-by': 'mygate', ...restoredSetLabels(spec.set, spec.backupId)}},
    type: 'Opaque',
    stringData: {'root-username': values.username, 'root-password': values.password, 'replica-set-key': values.keyFile},
  }
}
