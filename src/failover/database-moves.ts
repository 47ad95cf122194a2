import type {ServiceDescriptor} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {directConnection, replicaSetConnection} from '../db/connection.js'
import type {StatusResult} from '../db/operations.js'
import {runDatabaseOperation} from '../db/run-operation.js'
import {parseDuration} from '../duration.js'
import {OperationFailedError, TimeoutError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import {bestCandidate, type DatabaseObservation} from './checks.js'
import {electionWaitMs, priorityRank, takeoverNeedsPrimaryVote, takeoverWaitMs} from './election-timing.js'
import type {RolledBackWrites} from './run-state.js'
import {finalMembers, regionOfHost, sameMembers, survivorMembers, topologyWithActive, transitionalMembers} from './replica-moves.js'

/**
 * Moving a database's PRIMARY between regions with the database Jobs (src/db/run-operation.ts),
 * run in the TARGET region's cluster (the source may be gone). Every function reads the replica
 * set's state first and acts only if still needed, so a re-run after a kill never steps down the
 * new primary or forces a second time.
 */

export interface DatabaseMoveContext {
  /** The target region's cluster: where the Jobs run. */
  client: KubeApi
  database: ServiceDescriptor
  spec: Pick<EnvironmentSpec, 'tier' | 'regions'>
  /**
   * How long to let priority takeover elect before stepping the old primary down. Default: derived
   * from the set's own settings (election-timing.ts takeoverWaitMs; 13.5 s with MongoDB's defaults).
   */
  takeoverWaitMs?: number
  /**
   * Longest wait for a primary in the target after a step-down or a forced reconfig. Default:
   * derived from the set's settings (election-timing.ts electionWaitMs; 27 s with the defaults).
   */
  electionWaitMs?: number
  /** Pause between status reads while waiting (default 500 ms). */
  pollMs?: number
  onProgress?: (message: string) => void
}

export interface MoveOutcome {
  detail: string
  /** The lag of the member that took over, at the switch (seconds): the data-loss window. */
  lagSeconds?: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The replica set's status through the seed list (primaryPreferred: it answers without a primary). */
export async function readStatus(ctx: Pick<DatabaseMoveContext, 'client' | 'database' | 'spec'>, timeoutMs = 30_000): Promise<StatusResult> {
  const topology = topologyWithActive(ctx.database, ctx.spec, ctx.spec.regions.primary)
  const connection = replicaSetConnection(topology.set, topology.members.map((m) => m.host), {readPreference: 'primaryPreferred'})
  const {result} = await runDatabaseOperation(ctx.client, {database: ctx.database.name, op: 'status', params: {}, connection, timeoutMs})
  return result
}

/** What the readiness check needs to know about one database, from the target region. */
export async function observeDatabase(ctx: Pick<DatabaseMoveContext, 'client' | 'database' | 'spec'>): Promise<DatabaseObservation> {
  const rpoMs = parseDuration(ctx.database.criticality.rpo, `${ctx.database.name} criticality.rpo`)
  try {
    // A readiness check answers quickly or not at all: its own short time-out.
    const status = await readStatus(ctx, 15_000)
    if (!status.initiated) return {database: ctx.database.name, rpoMs, error: 'replica set not initiated'}
    return {database: ctx.database.name, rpoMs, primary: status.primary ?? null, members: status.members ?? []}
  } catch (error) {
    return {database: ctx.database.name, rpoMs, error: (error as Error).message}
  }
}

function primaryRegionOf(status: StatusResult, ctx: Pick<DatabaseMoveContext, 'database' | 'spec'>): string | undefined {
  const topology = topologyWithActive(ctx.database, ctx.spec, ctx.spec.regions.primary)
  return status.primary ? regionOfHost(topology, status.primary) : undefined
}

async function reconfigure(ctx: DatabaseMoveContext, members: ReturnType<typeof finalMembers>, hosts: string[]): Promise<void> {
  const connection = replicaSetConnection(ctx.database.name, hosts)
  await runDatabaseOperation(ctx.client, {database: ctx.database.name, op: 'reconfigure', params: {members, timeoutSeconds: 60}, connection, timeoutMs: 90_000})
}

async function waitForPrimaryIn(ctx: DatabaseMoveContext, region: string, deadlineMs: number): Promise<StatusResult | undefined> {
  const until = Date.now() + deadlineMs
  for (;;) {
    const status = await readStatus(ctx)
    if (primaryRegionOf(status, ctx) === region) return status
    if (Date.now() >= until) return undefined
    await sleep(ctx.pollMs ?? 500)
  }
}

/**
 * Planned switchover of one database: raise the target's priorities (transitional config), let
 * priority takeover elect there, step the old primary down only if it has not happened, then
 * settle the target's vote layout (final config).
 */
export async function movePrimary(ctx: DatabaseMoveContext, to: string): Promise<MoveOutcome> {
  const name = ctx.database.name
  const from = ctx.spec.regions.primary === to ? (ctx.spec.regions.secondary as string) : ctx.spec.regions.primary
  const fromTopology = topologyWithActive(ctx.database, ctx.spec, from)
  const toTopology = topologyWithActive(ctx.database, ctx.spec, to)
  const hosts = toTopology.members.map((m) => m.host)
  const final = finalMembers(toTopology)
  let status = await readStatus(ctx)
  if (!status.initiated) throw new OperationFailedError(`${name} is not initiated: there is no PRIMARY to move`, {hint: `re-run \`mygate env create\` to form the replica set`})
  const inTarget = (host: string) => regionOfHost(toTopology, host) === to
  if (primaryRegionOf(status, ctx) === to) {
    if (!sameMembers(status.members ?? [], final)) await reconfigure(ctx, final, hosts)
    return {detail: `PRIMARY already in ${to} (${status.primary})`}
  }
  if (!status.primary) throw new OperationFailedError(`${name} has no PRIMARY: a planned switchover needs one`, {hint: 'fail over with --forced if the source region is lost'})
  const candidate = bestCandidate(
    (status.members ?? []).map((m) => ({...m})),
    inTarget,
  )
  if (!candidate) throw new OperationFailedError(`${name} has no electable member in ${to}`, {hint: `check \`mygate db status --env ...\`; its members in ${to} must be SECONDARY`})
  const lagSeconds = candidate.lagSeconds ?? undefined
  const oldPrimary = status.primary
  const transitional = transitionalMembers(fromTopology, toTopology)
  // The takeover gets the time MongoDB's rules give it under this set's settings, no more; none
  // when it could only win with the primary's own vote (election-timing.ts).
  const hopeless = takeoverNeedsPrimaryVote(transitional, oldPrimary)
  const takeoverWait = ctx.takeoverWaitMs ?? (hopeless ? 0 : takeoverWaitMs(status.settings, priorityRank(transitional, candidate.host)))
  ctx.onProgress?.(`${name}: raising ${to} priorities (PRIMARY ${oldPrimary}); ${takeoverWait > 0 ? `takeover expected within ${takeoverWait} ms` : 'a takeover would need its vote: stepping it down'}`)
  await reconfigure(ctx, transitional, hosts)
  let moved = takeoverWait > 0 ? await waitForPrimaryIn(ctx, to, takeoverWait) : undefined
  let how = 'priority takeover'
  if (!moved) {
    if (takeoverWait > 0) ctx.onProgress?.(`${name}: no takeover yet, stepping down ${oldPrimary}`)
    await runDatabaseOperation(ctx.client, {
      database: name,
      op: 'step-down',
      params: {expectedPrimary: oldPrimary, stepDownSecs: 60, secondaryCatchUpPeriodSecs: 10, waitSeconds: 30},
      connection: replicaSetConnection(name, hosts),
      timeoutMs: 90_000,
    })
    how = 'step-down'
    moved = await waitForPrimaryIn(ctx, to, ctx.electionWaitMs ?? electionWaitMs(status.settings))
    if (!moved) throw new TimeoutError(`${name}: no PRIMARY in ${to} after stepping down ${oldPrimary}`, {hint: 'check the members with `mygate db status`; re-run `mygate failover resume`'})
  }
  status = moved
  await reconfigure(ctx, final, hosts)
  return {detail: `PRIMARY ${status.primary} in ${to} by ${how}`, lagSeconds}
}

/**
 * Forced failover of one database: only after the source is fenced. Reconfigures the survivors
 * with force (connected directly to the best surviving member) and waits for them to elect. A
 * re-run finds the config already forced (the script changes nothing) or the PRIMARY in place.
 */
export async function forcePrimary(ctx: DatabaseMoveContext, to: string): Promise<MoveOutcome> {
  const name = ctx.database.name
  const toTopology = topologyWithActive(ctx.database, ctx.spec, to)
  const inTarget = (host: string) => regionOfHost(toTopology, host) === to
  const status = await readStatus(ctx)
  if (!status.initiated) throw new OperationFailedError(`${name} is not initiated: there is nothing to fail over`, {hint: `re-run \`mygate env create\``})
  if (primaryRegionOf(status, ctx) === to) return {detail: `PRIMARY already in ${to} (${status.primary})`}
  const candidate = bestCandidate(status.members ?? [], inTarget)
  const survivor = candidate ?? (status.members ?? []).find((m) => inTarget(m.host) && m.health === 1)
  if (!survivor) throw new OperationFailedError(`${name} has no healthy member in ${to} to force a config on`, {hint: 'bring the target region\'s members up, then `mygate failover resume`'})
  ctx.onProgress?.(`${name}: forcing a config of the ${to} members (through ${survivor.host})`)
  await runDatabaseOperation(ctx.client, {
    database: name,
    op: 'force-reconfigure',
    params: {members: survivorMembers(toTopology)},
    connection: directConnection(survivor.host),
    timeoutMs: 90_000,
  })
  const moved = await waitForPrimaryIn(ctx, to, ctx.electionWaitMs ?? electionWaitMs(status.settings))
  if (!moved) throw new TimeoutError(`${name}: the forced config elected no PRIMARY in ${to}`, {hint: 're-run `mygate failover resume`'})
  return {detail: `PRIMARY ${moved.primary} in ${to} by forced reconfig`, lagSeconds: candidate?.lagSeconds ?? undefined}
}

/**
 * The watch's automatic failover: MongoDB elected the PRIMARY in `to` by itself (the survivors
 * hold a majority). Only reads: a PRIMARY that is not there fails the step, and nothing is moved,
 * stepped down or forced (the watch then alerts a person). The automatic run reads every
 * database with one status Job (src/failover/watch/confirm-primaries.ts) and judges each here.
 */
export async function confirmPrimary(ctx: Pick<DatabaseMoveContext, 'client' | 'database' | 'spec'>, to: string): Promise<MoveOutcome> {
  return judgeConfirmedPrimary(await readStatus(ctx), ctx, to)
}

/** The verdict of confirmPrimary on a status already read: the outcome, or the OperationFailedError. */
export function judgeConfirmedPrimary(status: StatusResult, ctx: Pick<DatabaseMoveContext, 'database' | 'spec'>, to: string): MoveOutcome {
  if (!status.initiated) throw new OperationFailedError(`${ctx.database.name} is not initiated: there is no PRIMARY`, {hint: 're-run `mygate env create`'})
  const region = primaryRegionOf(status, ctx)
  if (region !== to) {
    throw new OperationFailedError(`${ctx.database.name} has ${status.primary ? `its PRIMARY in ${region ?? 'an unknown region'}` : 'no PRIMARY'}, not in ${to}: the watch does not force it`, {
      hint: `a person decides: \`mygate failover --env NAME --forced --confirm NAME\``,
    })
  }
  // The lag of the members the survivors left behind is not a loss: the PRIMARY was elected from a
  // majority, which holds every majority-committed write.
  return {detail: `PRIMARY ${status.primary} in ${to}, elected by MongoDB`}
}

/**
 * After a forced failover, the old region's members are REMOVED. Once that region is fenced and
 * back, they are added again (the active layout's full member list, through the primary; one
 * voter per reconfig, as the script does). Members that took writes the survivors never saw roll
 * them back when they rejoin; those are returned from the status' rollback log.
 */
export async function rejoinRegion(ctx: Pick<DatabaseMoveContext, 'client' | 'database' | 'spec'>, active: string): Promise<RolledBackWrites[]> {
  const topology = topologyWithActive(ctx.database, ctx.spec, active)
  const final = finalMembers(topology)
  const status = await readStatus(ctx)
  if (!status.initiated) return []
  if (!sameMembers(status.members ?? [], final)) {
    await runDatabaseOperation(ctx.client, {
      database: ctx.database.name,
      op: 'reconfigure',
      params: {members: final, timeoutSeconds: 60},
      connection: replicaSetConnection(ctx.database.name, topology.members.map((m) => m.host)),
      timeoutMs: 90_000,
    })
  }
  const after = await readStatus(ctx)
  return (after.rollbacks ?? []).map((r) => ({database: ctx.database.name, member: r.member, entries: r.entries, namespaces: r.namespaces, at: r.at, dataDirectory: r.dataDirectory, commonPoint: r.commonPoint, lastRolledBack: r.lastRolledBack}))
}
