import {prometheusFor} from '../analysis/cluster-prometheus.js'
import {measureCanary} from '../analysis/measure.js'
import type {Catalog} from '../catalog/types.js'
import {NAMESPACES} from '../config/types.js'
import {readRecord, writeRecord} from '../env/record.js'
import {NotFoundError, OperationFailedError} from '../errors.js'
import {waitForWorkloads} from '../kube/wait.js'
import {GATEWAY_SERVICE} from '../render/contexts.js'
import {hasManagedDns} from '../traffic-dns/environment-traffic.js'
import {switchRedisMaster} from '../db/redis-ops.js'
import {redisTopology} from '../db/redis-topology.js'
import {forcePrimary, movePrimary, type DatabaseMoveContext} from './database-moves.js'
import {fenceInTheCloud, liftCloudFences, lowerRegionNodeGroups, raiseRegionNodeGroups} from './cloud-steps.js'
import {fenceRegion, liftFence} from './fence.js'
import type {FailoverStep} from './plan.js'
import {confirmFromRead, sharedPrimariesRead} from './watch/confirm-primaries.js'
import {scaleRegionDown, scaleRegionUp} from './region-scale.js'
import type {FailoverRun} from './run-state.js'
import type {FailoverSession} from './session.js'

/**
 * What each kind of plan step does. Every step reads the state it changes first, so running it
 * again after a kill (failover resume) finishes the work instead of repeating it.
 */

export interface StepTuning {
  takeoverWaitMs?: number
  electionWaitMs?: number
  pollMs?: number
  /** Longest wait for workloads to become ready (default 5 minutes). */
  waitTimeoutMs?: number
  /** Longest wait for a returning region's members to catch up within their RPO (default 60 s). */
  catchUpWaitMs?: number
}

export interface StepContext {
  session: FailoverSession
  catalog: Catalog
  run: FailoverRun
  tuning: StepTuning
  now: () => Date
  onProgress: (message: string) => void
  /** Saves a change to the run before the step ends (the cloud fence records what it closes first). */
  checkpoint?: (update: Partial<FailoverRun>) => Promise<void>
}

export interface StepOutcome {
  detail: string
  /** A change to the run beyond the step's own record (a pending fence, the data-loss window). */
  update?: Partial<FailoverRun>
}

export async function executeStep(step: FailoverStep, ctx: StepContext): Promise<StepOutcome> {
  const {session, catalog, run} = ctx
  const {from, to} = run.plan
  const record = session.record
  switch (step.kind) {
    case 'fence-source': {
      const parts: string[] = []
      // DNS first: it answers even when the region does not.
      if (hasManagedDns(record.spec)) {
        await (await session.traffic()).withdraw(from)
        parts.push(`${from} withdrawn from DNS`)
      } else parts.push(`DNS is not mygate's (provider ${record.spec.provider}): withdraw ${from} from your records`)
      if (session.reachable.has(from)) {
        const fenced = await fenceRegion(session.client(from), run.id)
        parts.push(`${fenced.writersStopped.length} writers at zero, deny-all NetworkPolicy`)
        return {detail: parts.join('; ')}
      }
      parts.push(`${from} does not answer: fence pending until it returns`)
      // Its cloud closes it meanwhile (aws, gcp); what the cloud cannot do now waits with the rest.
      const cloud = await fenceInTheCloud(ctx, from)
      if (cloud.detail) parts.push(cloud.detail)
      return {detail: parts.join('; '), update: {...cloud.update, pendingFence: {region: from, since: ctx.now().toISOString(), ...(cloud.pending ? {cloud: cloud.pending} : {})}}}
    }
    case 'scale-target': {
      const client = session.client(to)
      // A region fenced by an earlier forced failover is opened again only now, as it takes over.
      const lifted = await liftFence(client)
      const cloudLifted = await liftCloudFences(ctx, to)
      // Nodes before workloads: the apps scaled up next need room to schedule.
      const nodes = await raiseRegionNodeGroups(ctx, to)
      const detail = await scaleRegionUp({client, record, catalog, region: to, activeRegion: to, waitTimeoutMs: ctx.tuning.waitTimeoutMs, onProgress: ctx.onProgress})
      return {detail: [lifted ? 'fence lifted' : undefined, cloudLifted, nodes, detail].filter((part) => part !== undefined).join('; ')}
    }
    case 'reopen-target': {
      // Active-active: the target already serves at full scale. Only a fence an earlier forced
      // failover left there is lifted, and its full scale re-applied (the fence removed its HPAs).
      const client = session.client(to)
      const cloudLifted = await liftCloudFences(ctx, to)
      if (!(await liftFence(client))) return {detail: [cloudLifted, `${to} already serves at full scale (active-active): nothing to reopen`].filter((part) => part !== undefined).join('; ')}
      const detail = await scaleRegionUp({client, record, catalog, region: to, activeRegion: to, waitTimeoutMs: ctx.tuning.waitTimeoutMs, onProgress: ctx.onProgress})
      return {detail: [cloudLifted, 'fence lifted', detail].filter((part) => part !== undefined).join('; ')}
    }
    case 'confirm-primary': {
      const database = catalog.byName(step.target as string)
      if (!database) throw new NotFoundError(`database ${step.target} is not in the catalog`)
      // Every database the plan confirms is read by one status Job, shared by the group's steps.
      const read = await sharedPrimariesRead(session, run.plan, catalog, {client: session.client(to), region: to, spec: record.spec})
      return {detail: confirmFromRead(read, database, record.spec, to).detail}
    }
    case 'move-primary':
    case 'force-primary': {
      const database = catalog.byName(step.target as string)
      if (!database) throw new NotFoundError(`database ${step.target} is not in the catalog`)
      const moveCtx: DatabaseMoveContext = {client: session.client(to), database, spec: record.spec, ...ctx.tuning, onProgress: ctx.onProgress}
      const moved = step.kind === 'move-primary' ? await movePrimary(moveCtx, to) : await forcePrimary(moveCtx, to)
      const window = Math.max(run.dataLossWindowSeconds ?? 0, moved.lagSeconds ?? 0)
      return {detail: moved.detail, update: {dataLossWindowSeconds: window}}
    }
    case 'redis': {
      // Redis is a cache here (RPO 24h): each region runs its own; the target's must be ready.
      const [result] = await waitForWorkloads(session.client(to), [{apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: NAMESPACES.data, name: step.target as string}], {
        timeoutMs: ctx.tuning.waitTimeoutMs ?? 300_000,
      })
      if (result.verdict !== 'succeeded') throw new OperationFailedError(`${step.target} is not ready in ${to}: ${result.message}`, {hint: 'fix it, then `mygate failover resume`'})
      // The target region's ordinal 0 becomes the master and every other member follows it
      // (src/db/redis-ops.ts switchRedisMaster). Planned: the source is demoted FIRST, so two
      // masters never take writes at once. Forced (or a source that does not answer): the target
      // at once; the source follows once it is back and fenced (recovery.ts). Each member is read
      // first, so a re-run changes nothing.
      const descriptor = catalog.services.find((s) => s.name === step.target && s.kind === 'redis')
      if (!descriptor || !record.spec.regions.secondary) return {detail: `${step.target} ready in ${to} (one region: nothing to promote)`}
      const topology = redisTopology(descriptor, record.spec, to)
      const reachable = session.reachable.has(from)
      const switched = await switchRedisMaster(
        {to: session.client(to), ...(reachable ? {from: session.client(from)} : {})},
        {topology, from, demoteFirst: run.plan.mode === 'planned', onStep: (done) => ctx.onProgress(done === 'demoted' ? `${step.target} in ${from} follows ${topology.primary.host}` : `${step.target} in ${to} is the master`)},
      )
      const primary = switched.promoted.members[0]
      const parts = [primary.changed ? `${step.target} in ${to} promoted to master at replication offset ${primary.before.offset}` : `${step.target} in ${to} already a master`]
      if (!switched.demoted) return {detail: `${parts[0]}; ${from} does not answer: its Redis follows once it is back and fenced`}
      parts.push(`${switched.demoted.members.filter((m) => m.changed).length}/${switched.demoted.members.length} members in ${from} now follow ${topology.primary.host}`)
      if (run.plan.mode === 'planned') parts.push(`${from} demoted first: never two masters`)
      return {detail: parts.join('; ')}
    }
    case 'switch-traffic': {
      // Environments whose DNS mygate does not manage (kubeconfig): the user moves it, mygate says so.
      if (!hasManagedDns(record.spec)) return {detail: `DNS is not mygate's (provider ${record.spec.provider}): point your records at ${to}'s entry point`}
      const traffic = await session.traffic()
      try {
        await traffic.switchActive(to)
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error
        // An environment created before DNS records existed: create them, then switch.
        await traffic.ensureRecords([])
        await traffic.switchActive(to)
      }
      const described = await traffic.describe()
      if (!described.active.includes(to)) throw new OperationFailedError(`DNS for ${described.name} still answers with ${described.active.join(', ')}, not ${to}`)
      return {detail: `${described.name} -> ${to}`}
    }
    case 'verify-gateway':
      return {detail: await verifyGateway(ctx)}
    case 'scale-source': {
      if (!session.reachable.has(from)) return {detail: `${from} does not answer: left as it is`}
      const detail = await scaleRegionDown({client: session.client(from), record, catalog, region: from, activeRegion: to})
      const nodes = await lowerRegionNodeGroups(ctx, from)
      return {detail: nodes === undefined ? detail : `${detail}; ${nodes}`}
    }
    case 'record-active': {
      const written: string[] = []
      for (const region of session.reachable) {
        const client = session.client(region)
        const current = (await readRecord(client)) ?? record
        await writeRecord(client, {...current, activeRegion: to, updatedAt: ctx.now().toISOString()})
        written.push(region)
      }
      session.record = {...record, activeRegion: to}
      const detail = `active region ${to} recorded in ${written.join(', ')}`
      // Backups follow the active region (as env create puts them there; local is the provider
      // whose backup store is wired): created in the target, removed from every region that
      // answers. A region that does not answer loses its CronJobs at failback, which runs this again.
      if (record.provider !== 'local') return {detail}
      const {reconcileBackupSchedules} = await import('../backup/schedule/reconcile-schedules.js')
      const clients = new Map([...session.reachable].map((region) => [region, session.client(region)] as const))
      const schedules = await reconcileBackupSchedules({clients}, session.record, {catalog})
      const scheduled = `${detail}; ${schedules.applied.length} backup CronJobs in ${to}${schedules.removed.length > 0 ? `, ${schedules.removed.length} removed elsewhere` : ''}`
      if (run.plan.mode !== 'forced') return {detail: scheduled}
      // Old oplog slices no longer lead to the live data: mark the break, take new bases now.
      const {takeNewBasesAfterForcedFailover} = await import('../backup/timeline/after-forced-failover.js')
      const after = await takeNewBasesAfterForcedFailover({record: session.record, client: session.client(to), catalog, run, onProgress: ctx.onProgress})
      // The failover happened: a base that could not be taken is the run's warning, not its failure.
      return {detail: `${scheduled}; ${after.detail}`, ...(after.warnings.length > 0 ? {update: {warnings: after.warnings}} : {})}
    }
  }
}

/** The gateway serves in the target: its Deployment is ready and its error rate within its threshold. */
async function verifyGateway(ctx: StepContext): Promise<string> {
  const {session, catalog, run} = ctx
  const to = run.plan.to
  const client = session.client(to)
  const gateway = catalog.byName(GATEWAY_SERVICE)
  if (!gateway) return 'no gateway in the catalog'
  const [ready] = await waitForWorkloads(client, [{apiVersion: 'apps/v1', kind: 'Deployment', namespace: NAMESPACES.apps, name: gateway.name}], {
    timeoutMs: ctx.tuning.waitTimeoutMs ?? 300_000,
  })
  if (ready.verdict !== 'succeeded') throw new OperationFailedError(`the gateway is not ready in ${to}: ${ready.message}`, {hint: 'traffic already points there: fix it now, then `mygate failover resume`'})
  const version = session.record.versions[gateway.name] ?? gateway.image.tag
  const measurements = await measureCanary({client: prometheusFor(client), namespace: NAMESPACES.apps, service: gateway.name, version, thresholds: gateway.rollout.analysis, window: '1m'})
  const errorRate = measurements.find((m) => m.metric === 'error-rate')
  if (errorRate?.verdict === 'fail') throw new OperationFailedError(`the gateway in ${to} fails: ${errorRate.reason}`, {hint: 'fix it, then `mygate failover resume`'})
  return `gateway ready in ${to}; ${errorRate?.reason ?? 'error rate: no data'}`
}
