import type {ServiceDescriptor} from '../catalog/types.js'
import {NAMESPACES} from '../config/types.js'
import {replicaSetTopology} from '../db/topology.js'
import {upgradeByRole, type RestartedMember} from '../db/upgrade.js'
import {UsageError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import {holderIdentity} from '../audit/identity.js'
import type {EnvironmentRecord} from '../env/record.js'
import {acquireLease} from '../locks/lease.js'
import {recordDeployedVersion} from './record-deployed-version.js'

/**
 * `mygate deploy billing-db --version 7.0.14`: a MongoDB image change, by role. The StatefulSets
 * use `updateStrategy: OnDelete`, so changing their template (in every region) restarts nothing;
 * upgradeByRole (src/db/upgrade.ts) then restarts the members itself: secondaries first, one at a
 * time, each back as SECONDARY and caught up before the next, the PRIMARY last after a step-down
 * (MongoDB's rolling-upgrade procedure). The deploy lease of the service is held throughout, and
 * the environment record learns the version (later renders and `env create` keep it).
 *
 * A re-run after a kill resumes: the template already carries the image, and members already on
 * the StatefulSet's update revision are left alone.
 */

export interface DatabaseDeployRequest {
  descriptor: ServiceDescriptor
  /** `mongo:7.0.14` (data services come from their public repository, not the environment's registry). */
  image: string
  version: string
}

export interface DatabaseDeployResult {
  service: string
  strategy: 'by-role'
  from?: string
  to: string
  image: string
  outcome: 'succeeded'
  /** Members restarted, in order, with the role each had: the primary, stepped down first, last. */
  restarted: RestartedMember[]
  primaryBefore: string | null
  primaryAfter: string | null
  /** Secondaries first, the primary last after a step-down. */
  order: string[]
  message: string
}

export interface DatabaseDeployOptions {
  record: EnvironmentRecord
  /** region -> client, every region of the environment. */
  clients: ReadonlyMap<string, KubeApi>
  request: DatabaseDeployRequest
  /** Whole upgrade (default 10 minutes). */
  timeoutMs?: number
  onProgress?: (line: string) => void
}

const MONGOD_CONTAINER = 'mongod'
const LABEL_VERSION = 'app.kubernetes.io/version'

/** The mongod image the StatefulSet's template carries. */
export function templateImage(set: KubeObject): string | undefined {
  const containers = (set as {spec?: {template?: {spec?: {containers?: Array<{name: string; image?: string}>}}}}).spec?.template?.spec?.containers ?? []
  return containers.find((c) => c.name === MONGOD_CONTAINER)?.image
}

/** The strategic merge patch that moves a StatefulSet's template to `image` (containers merge by name). */
export function imagePatch(set: KubeObject, image: string, version: string): Record<string, unknown> {
  const templateLabels = (set as {spec?: {template?: {metadata?: {labels?: Record<string, string>}}}}).spec?.template?.metadata?.labels ?? {}
  return {
    metadata: {labels: {[LABEL_VERSION]: version}},
    spec: {
      template: {
        ...(LABEL_VERSION in templateLabels ? {metadata: {labels: {[LABEL_VERSION]: version}}} : {}),
        spec: {containers: [{name: MONGOD_CONTAINER, image}]},
      },
    },
  }
}

export async function deployDatabase(options: DatabaseDeployOptions): Promise<DatabaseDeployResult> {
  const {record, clients, request} = options
  const service = request.descriptor.name
  const primaryRegion = record.spec.regions.primary
  const primary = clients.get(primaryRegion)
  if (!primary) throw new UsageError(`environment ${record.name} has no cluster for its primary region ${primaryRegion}`, {hint: 'check `mygate env describe`'})
  const sets = new Map<string, KubeObject>()
  for (const [region, client] of clients) {
    const set = await client.get('apps/v1', 'StatefulSet', service, NAMESPACES.data)
    if (!set) throw new UsageError(`${service} has no StatefulSet in region ${region} of ${record.name}`, {hint: `run \`mygate env create ${record.name}\` first`})
    sets.set(region, set)
  }
  const from = templateImage(sets.get(primaryRegion)!)
  const lease = await acquireLease(primary, {holder: holderIdentity(), service, environment: record.name})
  let result: DatabaseDeployResult
  try {
    for (const [region, set] of sets) {
      if (templateImage(set) === request.image) continue
      await clients.get(region)!.strategicMergePatch({apiVersion: 'apps/v1', kind: 'StatefulSet', name: service, namespace: NAMESPACES.data}, imagePatch(set, request.image, request.version), `move ${service} to ${request.image} in ${region}`)
      options.onProgress?.(`${service}: StatefulSet in ${region} now templates ${request.image} (OnDelete: nothing restarts by itself)`)
    }
    const topology = replicaSetTopology(request.descriptor, record.spec)
    const upgrade = await upgradeByRole({clients, topology, image: request.image, timeoutMs: options.timeoutMs, onProgress: options.onProgress})
    await recordDeployedVersion(clients.values(), service, request.version)
    const secondaries = upgrade.steps.filter((s) => s.role === 'secondary').length
    const stepped = upgrade.steps.find((s) => s.role === 'primary')
    const message =
      upgrade.steps.length === 0
        ? `every member already runs ${request.image}`
        : `${secondaries} secondar${secondaries === 1 ? 'y' : 'ies'} restarted first${!stepped ? '' : stepped.steppedDown ? `, then primary ${stepped.host} stepped down and restarted last (primary now ${upgrade.primaryAfter ?? 'none'})` : `, then primary ${stepped.host}, the only electable member, restarted last (writes paused until it was back)`}`
    result = {
      service,
      strategy: 'by-role',
      ...(from ? {from} : {}),
      to: request.version,
      image: request.image,
      outcome: 'succeeded',
      restarted: upgrade.steps,
      primaryBefore: upgrade.primaryBefore,
      primaryAfter: upgrade.primaryAfter,
      order: upgrade.steps.map((s) => `${s.role} ${s.host}`),
      message,
    }
  } catch (error) {
    // The upgrade's own error is the one to report; the lease expires by itself if this fails too.
    await lease.release().catch(() => undefined)
    throw error
  }
  await lease.release()
  return result
}
