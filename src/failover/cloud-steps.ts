import {OperationFailedError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import {type CloudFenceRecord, closeCloudFence, dataParts, describeParts, liftCloudFence, pendingReason} from './cloud-fence.js'
import {describeChanges, lowerNodeGroups, raiseNodeGroups} from './node-capacity.js'
import type {FailoverRun} from './run-state.js'
import {collectRuns, writeRun} from './run-store.js'
import type {FailoverSession} from './session.js'
import type {StepContext} from './steps.js'

/**
 * The cloud parts of the failover steps (steps.ts calls these, one line each): node groups raised
 * with scale-target and lowered with scale-source, the cloud fence closed with fence-source and
 * lifted when the fenced region takes over again. Each does nothing on local and kubeconfig.
 */

/**
 * fence-source, source unreachable: the cloud fence, recorded before it closes anything. A cloud
 * API that fails too leaves it pending, with the reason.
 */
export async function fenceInTheCloud(ctx: StepContext, region: string): Promise<{detail?: string; update?: Partial<FailoverRun>; pending?: string}> {
  const cloud = await ctx.session.cloud()
  if (!cloud) return {}
  try {
    const record = await closeCloudFence({cloud, region, previous: ctx.run.cloudFence, checkpoint: async (cloudFence) => ctx.checkpoint?.({cloudFence}), now: ctx.now})
    return {detail: `cloud fence closed: ${describeParts(record.parts)}`, update: {cloudFence: record}}
  } catch (error) {
    const reason = pendingReason(error)
    return {detail: `cloud fence pending: ${reason}`, pending: reason}
  }
}

/**
 * A pending fence whose region came back (execute.ts applyPendingFences): its cloud part too, when
 * it was left pending. Returns the run with the record, and the reason if it failed again.
 */
export async function applyPendingCloudFence(session: FailoverSession, run: FailoverRun, now: () => Date): Promise<{run: FailoverRun; pending?: string}> {
  const region = run.pendingFence?.region
  const cloud = await session.cloud()
  if (!cloud || region === undefined || run.pendingFence?.cloud === undefined) return {run}
  let current = run
  try {
    const record = await closeCloudFence({
      cloud,
      region,
      previous: run.cloudFence,
      checkpoint: async (cloudFence) => {
        current = {...current, cloudFence}
        await writeEverywhere(session, current)
      },
      now,
    })
    return {run: {...current, cloudFence: record}}
  } catch (error) {
    return {run: current, pending: pendingReason(error)}
  }
}

/**
 * Before the returning region's members rejoin (failback, resume after a forced failover): the
 * data paths of its cloud fence open again (cloud-fence.ts dataParts), recorded on the run in
 * every region that answers. A cloud failure here is the command's failure: without the paths
 * the members cannot catch up, and the catch-up wait would only time out.
 */
export async function reopenDataPaths(session: FailoverSession, run: FailoverRun): Promise<FailoverRun> {
  const record = run.cloudFence
  if (!record || record.dataReopenedAt !== undefined || record.liftedAt !== undefined) return run
  const parts = dataParts(record.parts)
  if (parts.length > 0) {
    const cloud = await session.cloud()
    if (!cloud) throw new OperationFailedError(`the run ${run.id} closed a ${record.provider} cloud fence, and environment ${session.record.name} has no cloud access to open it`)
    await cloud.fence.open(record.region, parts)
  }
  const updated: FailoverRun = {...run, cloudFence: {...record, dataReopenedAt: new Date().toISOString()}}
  await writeEverywhere(session, updated)
  return updated
}

/** scale-target: every cloud fence an earlier run closed on `region` and nobody lifted, restored. */
export async function liftCloudFences(ctx: StepContext, region: string): Promise<string | undefined> {
  const cloud = await ctx.session.cloud()
  if (!cloud) return undefined
  const {runs} = await collectRuns(reachableClients(ctx.session))
  const fenced = runs.filter((run): run is FailoverRun & {cloudFence: CloudFenceRecord} => run.cloudFence?.region === region && run.cloudFence.liftedAt === undefined)
  if (fenced.length === 0) return undefined
  const lines: string[] = []
  for (const run of fenced) {
    const lifted = await liftCloudFence(cloud, run.cloudFence, ctx.now)
    await writeEverywhere(ctx.session, {...run, cloudFence: lifted})
    lines.push(describeParts(lifted.parts))
  }
  return `cloud fence lifted: ${lines.join('; ')} restored`
}

/** scale-target: the region's node groups at the tier's full sizes (a cloud failure is reported, not fatal: the pods' wait tells). */
export async function raiseRegionNodeGroups(ctx: StepContext, region: string): Promise<string | undefined> {
  const cloud = await ctx.session.cloud()
  if (!cloud) return undefined
  try {
    const {changes, missing} = await raiseNodeGroups(cloud.nodeGroups, {region, tier: ctx.session.record.spec.tier, catalog: ctx.catalog})
    return describeChanges(region, changes, missing)
  } catch (error) {
    return `${region} node groups not raised: ${pendingReason(error)}`
  }
}

/** scale-source: the region's node groups at standby, never below what its remaining pods need. */
export async function lowerRegionNodeGroups(ctx: StepContext, region: string): Promise<string | undefined> {
  const cloud = await ctx.session.cloud()
  if (!cloud) return undefined
  try {
    const {changes} = await lowerNodeGroups(cloud.nodeGroups, {region, tier: ctx.session.record.spec.tier, catalog: ctx.catalog, client: ctx.session.client(region)})
    return describeChanges(region, changes)
  } catch (error) {
    return `${region} node groups not lowered: ${pendingReason(error)}`
  }
}

function reachableClients(session: FailoverSession): Map<string, KubeApi> {
  return new Map([...session.reachable].map((region) => [region, session.client(region)]))
}

async function writeEverywhere(session: FailoverSession, run: FailoverRun): Promise<void> {
  for (const region of session.reachable) await writeRun(session.client(region), run)
}
