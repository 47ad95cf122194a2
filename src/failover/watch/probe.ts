import type {ServiceDescriptor} from '../../catalog/types.js'
import {NAMESPACES, type EnvironmentSpec} from '../../config/types.js'
import {replicaSetConnection} from '../../db/connection.js'
import {DatabaseOperationError} from '../../db/operation-error.js'
import {runStatusAll} from '../../db/status-all.js'
import {replicaSetTopology} from '../../db/topology.js'
import {formatDuration} from '../../duration.js'
import {isMygateError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'
import {GATEWAY_SERVICE} from '../../render/contexts.js'
import {imageReference} from '../../render/labels.js'
import type {DatabaseView} from './loss-decision.js'
import type {RegionProbe} from './region-watch.js'

/**
 * One probe round of `failover watch`: each region's cluster API with its own short time-out, the
 * gateway in each serving region, and every database's state from ONE status Job (src/db/status-all.ts)
 * run in a region that answers. Reads only: the watch takes no lock while it only watches.
 *
 * A region fails the round when its API does not answer, when it serves and its gateway has no
 * ready pod, or when the status Job reached none of its database members (its data plane is gone
 * even if its API answers). A single database member down is a database problem, not a lost region.
 */

export interface DatabaseMembersView {
  database: string
  primary: string | null
  members: Array<{host: string; region: string; state: string; health: number; votes: number}>
}

export interface ProbeRoundInput {
  spec: EnvironmentSpec
  clients: ReadonlyMap<string, KubeApi>
  databases: readonly ServiceDescriptor[]
  /** The regions users reach now: their gateway must serve. */
  serving: readonly string[]
  /** Where the status Job runs first (the active region); else any region that answers. */
  preferredRegion: string
  /** The cluster API's own short time-out (default 2 s). */
  apiTimeoutMs?: number
  /** The status Job's deadline (default 20 s). */
  statusTimeoutMs?: number
  now: () => number
}

export interface ProbeRound {
  probes: RegionProbe[]
  /** The databases as the status Job saw them; undefined when it could not run or failed. */
  databases?: DatabaseMembersView[]
  /** The region whose cluster ran the status Job. */
  statusRanIn?: string
  statusError?: string
}

export async function probeRegions(input: ProbeRoundInput): Promise<ProbeRound> {
  const apiTimeoutMs = input.apiTimeoutMs ?? 2000
  const at = input.now()
  const reach = new Map(
    await Promise.all(
      [...input.clients].map(async ([region, client]) => {
        const answer = await client.reachable({timeoutMs: apiTimeoutMs})
        return [region, answer.reachable ? undefined : `API did not answer within ${formatDuration(apiTimeoutMs)}${answer.error ? ` (${answer.error})` : ''}`] as const
      }),
    ),
  )
  const answering = [...reach].filter(([, error]) => error === undefined).map(([region]) => region)
  const runIn = [input.preferredRegion, ...answering].find((region) => answering.includes(region))
  const [gateways, status] = await Promise.all([
    Promise.all(answering.filter((r) => input.serving.includes(r)).map(async (region) => [region, await gatewayProblem(input.clients.get(region) as KubeApi, apiTimeoutMs)] as const)),
    runIn === undefined || input.databases.length === 0 ? Promise.resolve(undefined) : readDatabases(input, runIn),
  ])
  const gatewayErrors = new Map(gateways)
  const probes = [...input.clients.keys()].map((region): RegionProbe => {
    const error = reach.get(region) ?? gatewayErrors.get(region) ?? dataPlaneProblem(region, status && 'views' in status ? status.views : undefined)
    return {region, ok: error === undefined, at, ...(error === undefined ? {} : {error})}
  })
  if (!status) return {probes}
  if ('error' in status) return {probes, statusRanIn: runIn, statusError: status.error}
  return {probes, databases: status.views, statusRanIn: runIn}
}

/** Why the gateway does not serve in a region, or undefined when it has a ready pod. */
async function gatewayProblem(client: KubeApi, timeoutMs: number): Promise<string | undefined> {
  try {
    const deployment = await client.get('apps/v1', 'Deployment', GATEWAY_SERVICE, NAMESPACES.apps, {timeoutMs, retry: false})
    if (!deployment) return 'gateway: no Deployment'
    const ready = (deployment.status as {readyReplicas?: number} | undefined)?.readyReplicas ?? 0
    return ready > 0 ? undefined : 'gateway: 0 ready pods'
  } catch (error) {
    return `gateway unreadable: ${(error as Error).message}`
  }
}

/** A region none of whose database members the status Job reached in any database. */
function dataPlaneProblem(region: string, views: DatabaseMembersView[] | undefined): string | undefined {
  if (!views || views.length === 0) return undefined
  const members = views.flatMap((v) => v.members.filter((m) => m.region === region))
  if (members.length === 0 || members.some((m) => m.health === 1)) return undefined
  return `none of its ${members.length} database members answers`
}

async function readDatabases(input: ProbeRoundInput, runIn: string): Promise<{views: DatabaseMembersView[]} | {error: string}> {
  const topologies = new Map(input.databases.map((d) => [d.name, replicaSetTopology(d, input.spec)]))
  try {
    const {result} = await runStatusAll(input.clients.get(runIn) as KubeApi, {
      sets: input.databases.map((database) => {
        const topology = topologies.get(database.name)!
        // The Job's own region first: it answers from a member it can reach.
        const hosts = [...topology.members.filter((m) => m.region === runIn), ...topology.members.filter((m) => m.region !== runIn)].map((m) => m.host)
        return {database: database.name, connection: replicaSetConnection(topology.set, hosts, {readPreference: 'primaryPreferred'})}
      }),
      image: imageReference(input.databases[0], input.spec),
      timeoutMs: input.statusTimeoutMs ?? 20_000,
    })
    return {
      views: result.sets.flatMap((set): DatabaseMembersView[] => {
        if (!set.ok) return []
        const topology = topologies.get(set.name)
        const regionOf = (host: string) => topology?.members.find((m) => m.host.toLowerCase() === host.toLowerCase())?.region ?? 'unknown'
        return [{database: set.name, primary: set.primary ?? null, members: (set.members ?? []).map((m) => ({host: m.host, region: regionOf(m.host), state: m.state, health: m.health, votes: m.votes}))}]
      }),
    }
  } catch (error) {
    // A Job that failed or timed out is no evidence about any region: the round has no database view.
    if (error instanceof DatabaseOperationError || (isMygateError(error) && (error.code === 'TIMEOUT' || error.code === 'EXTERNAL'))) return {error: (error as Error).message}
    throw error
  }
}

/** The decision's view of each database from the survivor: where its PRIMARY is, whose votes answer. */
export function databaseViewsFor(views: readonly DatabaseMembersView[], survivor: string): DatabaseView[] {
  return views.map((view) => {
    const primary = view.primary ? view.members.find((m) => m.host.toLowerCase() === view.primary?.toLowerCase()) : undefined
    return {
      database: view.database,
      primaryRegion: primary ? primary.region : null,
      survivorVotes: view.members.filter((m) => m.region === survivor && m.health === 1).reduce((sum, m) => sum + m.votes, 0),
      totalVotes: view.members.reduce((sum, m) => sum + m.votes, 0),
    }
  })
}
