import {setTimeout as sleep} from 'node:timers/promises'

import type {Catalog, ServiceDescriptor} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {TimeoutError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import {imageReference} from '../render/labels.js'
import {directConnection, replicaSetConnection} from './connection.js'
import {DatabaseOperationError} from './operation-error.js'
import type {MemberSpec, StatusResult} from './operations.js'
import {runDatabaseOperation} from './run-operation.js'
import {upgradeByRole} from './upgrade.js'
import {membersIn, topologyWithActive, type ReplicaSetMember, type ReplicaSetTopology} from './topology.js'

/**
 * `env create`'s Databases phase: every MongoDB replica set initiated, spanning both regions when
 * there are two, and with a PRIMARY. Each step reads the state first (a status Job) and acts only
 * when needed, so a re-run on a set in shape runs one status Job per database and changes nothing.
 *
 * Per database, through runDatabaseOperation in the primary region's cluster:
 * 1. status (direct to the primary region's member 0): not initiated -> initiate with the primary
 *    region's members (retried while members are still starting: "quorum check failed");
 * 2. a two-region set, or votes/priorities not as src/db/topology.ts lays them out -> reconfigure
 *    with the full member list (the script adds one voter per reconfiguration, as MongoDB
 *    requires since 4.4, and waits until each config is committed);
 * 3. status until there is a PRIMARY; reported per database;
 * 4. members on an old StatefulSet revision (an image change) restarted by role: secondaries one
 *    at a time, the PRIMARY last after a step-down (src/db/upgrade.ts).
 */

export interface FormDatabasesOptions {
  /** One client per region (the primary region's runs the Jobs). */
  clients: ReadonlyMap<string, KubeApi>
  catalog: Catalog
  env: EnvironmentSpec
  /** Per database, from the first status to a PRIMARY (default 5 minutes). */
  timeoutMs?: number
  /** Databases formed at once (default 8: each step is a Job on the cluster). */
  concurrency?: number
  onProgress?: (line: string) => void
  /** Only these databases (default: every mongodb service). */
  databases?: string[]
  /**
   * The region serving now (the environment record's; default the configured primary): its
   * members keep the PRIMARY's priorities and votes, so a re-run after a failover leaves the sets
   * where the failover put them, and the Jobs run in its cluster.
   */
  activeRegion?: string
}

export interface DatabaseFormation {
  database: string
  /** The PRIMARY's host. */
  primary: string
  /** Its region. */
  primaryRegion: string
  members: number
  initiated: boolean
  reconfigured: boolean
  /** Members restarted onto a new image, in order (secondaries first, the primary last). */
  upgraded: string[]
  /** False when the set was already in shape. */
  changed: boolean
}

const RETRY_PAUSE_MS = 500

export async function formDatabases(options: FormDatabasesOptions): Promise<DatabaseFormation[]> {
  const databases = options.catalog.services.filter((s) => s.kind === 'mongodb' && (!options.databases || options.databases.includes(s.name)))
  return mapBounded(databases, options.concurrency ?? 8, (database) => formDatabase(database, options))
}

async function formDatabase(database: ServiceDescriptor, options: FormDatabasesOptions): Promise<DatabaseFormation> {
  const {env} = options
  const active = options.activeRegion ?? env.regions.primary
  const client = options.clients.get(active)
  if (!client) throw new Error(`no client for the active region ${active}`)
  const topology = topologyWithActive(database, env, active)
  const deadline = Date.now() + (options.timeoutMs ?? 300_000)
  const image = imageReference(database, env)
  const first = membersIn(topology, topology.primaryRegion)[0]
  const run = {client, database: database.name, image, deadline}

  const before = await retrying(run, () => status(run, directConnection(first.host)))
  // Already in shape with a PRIMARY: one Job (plus an upgrade when the image changed).
  if (before.initiated && before.primary && inShape(before, topology)) {
    const upgraded = await upgradeByRole({clients: options.clients, topology, image, timeoutMs: remaining(deadline), onProgress: options.onProgress})
    return formed(database, topology, upgraded.restarted.length > 0 ? await waitForPrimary(run, topology) : before, {initiated: false, reconfigured: false, upgraded: upgraded.restarted}, options)
  }
  let initiated = false
  if (!before.initiated) {
    const members = membersIn(topology, topology.primaryRegion).map(memberSpec)
    await retrying(run, () =>
      runDatabaseOperation(client, {database: database.name, op: 'initiate', params: {set: topology.set, members}, connection: directConnection(first.host), image, timeoutMs: remaining(deadline)}),
    )
    initiated = true
    options.onProgress?.(`${database.name}: initiated with ${members.length} member${members.length === 1 ? '' : 's'} in ${topology.primaryRegion}`)
  }
  let current = await waitForPrimary(run, topology)
  let reconfigured = false
  if (!inShape(current, topology)) {
    const members = topology.members.map(memberSpec)
    const outcome = await retrying(run, () =>
      runDatabaseOperation(client, {database: database.name, op: 'reconfigure', params: {members, timeoutSeconds: Math.max(10, Math.floor(remaining(deadline) / 1000) - 5)}, connection: seedList(topology), image, timeoutMs: remaining(deadline)}),
    )
    reconfigured = outcome.result.changed
    if (reconfigured) options.onProgress?.(`${database.name}: reconfigured to ${members.length} members (${outcome.result.steps.length} step${outcome.result.steps.length === 1 ? '' : 's'})`)
    current = await waitForPrimary(run, topology)
  }
  // An image change (OnDelete StatefulSet): secondaries first, the primary last (upgrade.ts).
  const upgraded = await upgradeByRole({clients: options.clients, topology, image, timeoutMs: remaining(deadline), onProgress: options.onProgress})
  if (upgraded.restarted.length > 0) current = await waitForPrimary(run, topology)
  return formed(database, topology, current, {initiated, reconfigured, upgraded: upgraded.restarted}, options)
}

function formed(
  database: ServiceDescriptor,
  topology: ReplicaSetTopology,
  current: StatusResult,
  changes: {initiated: boolean; reconfigured: boolean; upgraded: string[]},
  options: FormDatabasesOptions,
): DatabaseFormation {
  const primary = String(current.primary)
  const primaryRegion = topology.members.find((m) => m.host === primary)?.region ?? 'unknown'
  options.onProgress?.(`${database.name}: PRIMARY ${primary} (${primaryRegion})`)
  const changed = changes.initiated || changes.reconfigured || changes.upgraded.length > 0
  return {database: database.name, primary, primaryRegion, members: topology.members.length, ...changes, changed}
}

interface Run {
  client: KubeApi
  database: string
  image: string
  deadline: number
  /** Default mygate-data. */
  namespace?: string
}

/**
 * A NEW replica set beside the live ones (a restore's target): the same first steps as
 * formDatabase (status direct to member 0; initiate with every member if not initiated, retried
 * while members start; status until there is a PRIMARY) in any namespace. Idempotent: a re-run on
 * an initiated set only waits for its PRIMARY. Resolves with the status that shows it.
 */
export async function formNewReplicaSet(options: {
  client: KubeApi
  /** Names the Jobs and the credentials Secret (`NAME-credentials`) in `namespace`. */
  database: string
  topology: ReplicaSetTopology
  image: string
  namespace: string
  timeoutMs?: number
  onProgress?: (line: string) => void
}): Promise<StatusResult> {
  const run: Run = {client: options.client, database: options.database, image: options.image, deadline: Date.now() + (options.timeoutMs ?? 300_000), namespace: options.namespace}
  const first = options.topology.members[0]
  const before = await retrying(run, () => status(run, directConnection(first.host)))
  if (!before.initiated) {
    const members = options.topology.members.map(memberSpec)
    await retrying(run, () =>
      runDatabaseOperation(run.client, {database: run.database, op: 'initiate', params: {set: options.topology.set, members}, connection: directConnection(first.host), image: run.image, namespace: run.namespace, timeoutMs: remaining(run.deadline)}),
    )
    options.onProgress?.(`${options.topology.set}: initiated with ${members.length} member${members.length === 1 ? '' : 's'}`)
  }
  return waitForPrimary(run, options.topology)
}

const remaining = (deadline: number) => Math.max(1000, deadline - Date.now())

/** Seed list of every member, `primaryPreferred`: answers from any member, finds the primary when there is one. */
function seedList(topology: ReplicaSetTopology, readPreference?: 'primaryPreferred'): string {
  return replicaSetConnection(topology.set, topology.members.map((m) => m.host), {readPreference})
}

async function status(run: Run, connection: string): Promise<StatusResult> {
  const outcome = await runDatabaseOperation(run.client, {database: run.database, op: 'status', params: {}, connection, image: run.image, timeoutMs: remaining(run.deadline), ...(run.namespace ? {namespace: run.namespace} : {})})
  return outcome.result
}

async function waitForPrimary(run: Run, topology: ReplicaSetTopology): Promise<StatusResult> {
  for (;;) {
    const result = await retrying(run, () => status(run, seedList(topology, 'primaryPreferred')))
    if (result.primary) return result
    if (Date.now() > run.deadline) {
      throw new TimeoutError(`${run.database} has no PRIMARY (${result.verdict}${result.problems?.length ? `: ${result.problems.join('; ')}` : ''})`, {
        hint: `see \`mygate db status --service ${run.database}\`; re-run \`mygate env create\` to finish`,
        details: {database: run.database, status: result},
      })
    }
    await sleep(RETRY_PAUSE_MS)
  }
}

/**
 * Re-runs an operation that failed in the database (members still starting: connection refused,
 * "quorum check failed", no primary yet) until the deadline; Kubernetes errors and time-outs stop.
 */
async function retrying<T>(run: Run, attempt: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (!(error instanceof DatabaseOperationError) || error.reason !== undefined || Date.now() > run.deadline) throw error
      await sleep(RETRY_PAUSE_MS)
    }
  }
}

/** The config has exactly the topology's hosts with its priorities and votes. */
export function inShape(status: Pick<StatusResult, 'members'>, topology: ReplicaSetTopology): boolean {
  const members = status.members ?? []
  if (members.length !== topology.members.length) return false
  return topology.members.every((want) => {
    const have = members.find((m) => m.host === want.host)
    return have !== undefined && have.priority === want.priority && have.votes === want.votes
  })
}

function memberSpec(member: ReplicaSetMember): MemberSpec {
  return {host: member.host, priority: member.priority, votes: member.votes}
}

/** Runs `work` over `items`, at most `limit` at once, results in input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index])
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  return results
}
