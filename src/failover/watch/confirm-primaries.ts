import type {Catalog, ServiceDescriptor} from '../../catalog/types.js'
import type {EnvironmentSpec} from '../../config/types.js'
import {replicaSetConnection} from '../../db/connection.js'
import {DatabaseOperationError} from '../../db/operation-error.js'
import {runStatusAll, type SetStatus} from '../../db/status-all.js'
import {NotFoundError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'
import {judgeConfirmedPrimary, type MoveOutcome} from '../database-moves.js'
import type {FailoverPlan} from '../plan.js'
import {topologyWithActive} from '../replica-moves.js'

/**
 * The automatic run's confirm-primary steps read every database with ONE status Job
 * (src/db/status-all.ts), not one Job per database: a Job costs a pod start, and the databases
 * are confirmed at the same time anyway (one group). The first step of the group to ask starts
 * the read; the others wait for the same one. Each database is then judged exactly as
 * confirmPrimary judges its own read (judgeConfirmedPrimary): same details, same errors.
 *
 * The read is kept per session and region while it lasts; a failed read is forgotten, so a step
 * run again reads again.
 */

export interface PrimariesRead {
  client: KubeApi
  /** The region confirmed (and whose cluster runs the Job). */
  region: string
  databases: readonly ServiceDescriptor[]
  spec: Pick<EnvironmentSpec, 'tier' | 'regions'>
  /** For mongosh: any of the databases' images (default: status-all's). */
  image?: string
  timeoutMs?: number
}

/** Every database's status from one Job, by database name. */
export async function readPrimaries(input: PrimariesRead): Promise<Map<string, {status: SetStatus; job: string}>> {
  const {result, job} = await runStatusAll(input.client, {
    sets: input.databases.map((database) => {
      // The seed list as readStatus builds it, the Job's own region first (it answers from a member it reaches).
      const topology = topologyWithActive(database, input.spec, input.spec.regions.primary)
      const hosts = [...topology.members.filter((m) => m.region === input.region), ...topology.members.filter((m) => m.region !== input.region)].map((m) => m.host)
      return {database: database.name, connection: replicaSetConnection(topology.set, hosts, {readPreference: 'primaryPreferred'})}
    }),
    ...(input.image === undefined ? {} : {image: input.image}),
    ...(input.timeoutMs === undefined ? {} : {timeoutMs: input.timeoutMs}),
  })
  return new Map(result.sets.map((status) => [status.name, {status, job}]))
}

/** confirmPrimary's verdict for one database of a shared read. */
export function confirmFromRead(read: Map<string, {status: SetStatus; job: string}>, database: ServiceDescriptor, spec: Pick<EnvironmentSpec, 'tier' | 'regions'>, to: string): MoveOutcome {
  const entry = read.get(database.name)
  if (!entry) throw new NotFoundError(`the status Job returned nothing for ${database.name}`)
  const {status, job} = entry
  if (!status.ok) {
    throw new DatabaseOperationError(`status of ${database.name} failed: ${status.error.message}`, {database: database.name, op: 'status', job, codeName: status.error.codeName})
  }
  return judgeConfirmedPrimary(status, {database, spec}, to)
}

const reads = new WeakMap<object, Map<string, Promise<Map<string, {status: SetStatus; job: string}>>>>()

/**
 * The shared read for `owner` (the failover session) and region: every database the plan
 * confirms there, read once.
 */
export function sharedPrimariesRead(owner: object, plan: Pick<FailoverPlan, 'steps'>, catalog: Pick<Catalog, 'byName'>, input: Omit<PrimariesRead, 'databases'>): Promise<Map<string, {status: SetStatus; job: string}>> {
  let byRegion = reads.get(owner)
  if (!byRegion) reads.set(owner, (byRegion = new Map()))
  const known = byRegion.get(input.region)
  if (known) return known
  const databases = plan.steps
    .filter((step) => step.kind === 'confirm-primary' && step.region === input.region && step.target !== undefined)
    .map((step) => {
      const database = catalog.byName(step.target as string)
      if (!database) throw new NotFoundError(`database ${step.target} is not in the catalog`)
      return database
    })
  const read = readPrimaries({...input, databases})
  byRegion.set(input.region, read)
  read.catch(() => byRegion.delete(input.region))
  return read
}
