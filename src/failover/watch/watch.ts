import type {Catalog} from '../../catalog/types.js'
import {systemClock, type Clock} from '../../clock.js'
import {connectEnvironment} from '../../env/connect.js'
import {readRecord, type EnvironmentRecord} from '../../env/record.js'
import {isMygateError, UsageError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'
import {openEnvironmentTraffic} from '../../traffic-dns/environment-traffic.js'
import type {ProgressMode} from '../../ui/progress.js'
import {ELECTION_DEFAULTS, electionWaitMs} from '../election-timing.js'
import {regionsOf} from '../plan.js'
import type {StepTuning} from '../steps.js'
import {actOnLoss} from './act.js'
import {alertLine, recordAlertEvent, type WatchAlert} from './alert.js'
import {decideOnLoss, servingRegions} from './loss-decision.js'
import {databaseViewsFor, probeRegions, type ProbeRound} from './probe.js'
import {runWatchLoop, type LossOutcome, type WatchVerdict} from './watch-loop.js'

/**
 * `mygate failover watch`: probe, decide, act or alert (see watch-loop.ts for the loop,
 * region-watch.ts for when a region counts as lost, loss-decision.ts for what is done about it).
 * Runs in CI (`--once`, on a schedule) or as a Deployment in the secondary region.
 */

export interface WatchEnvironmentOptions {
  env: string
  catalog: Catalog
  /** Between probe rounds (default 10 s, as Route 53's fast health checks). */
  intervalMs?: number
  /** Consecutive failed probes before a region is lost (default 3). */
  threshold?: number
  once?: boolean
  progress: ProgressMode
  onLine: (line: string) => void
  home?: string
  signal?: AbortSignal
  clock?: Clock
  /** Each region's cluster API time-out in a probe (default 2 s). */
  apiTimeoutMs?: number
  /** How long MongoDB may take to elect in the survivors before the watch alerts (default: the election deadline of MongoDB's default settings, 27 s). */
  electionGraceMs?: number
  tuning?: StepTuning
}

export interface WatchAction {
  region: string
  outcome: 'handled' | 'needs-human'
  /** The watch's own failover run, when it acted. */
  runId?: string
  /** What a person should do, when it alerted. */
  alert?: WatchAlert
  /** The Event that carries the alert (`mygate-system/NAME` in the survivor), when it was written. */
  event?: string
}

/** The `--json` result of `failover watch`. */
export interface WatchResult {
  environment: string
  verdict: WatchVerdict
  rounds: number
  regions: Array<{region: string; condition: string; failures: number; lastError?: string}>
  actions: WatchAction[]
}

export const DEFAULT_WATCH_INTERVAL_MS = 10_000
export const DEFAULT_WATCH_THRESHOLD = 3

export async function watchEnvironment(options: WatchEnvironmentOptions): Promise<WatchResult> {
  const threshold = options.threshold ?? DEFAULT_WATCH_THRESHOLD
  if (!Number.isInteger(threshold) || threshold < 1) throw new UsageError(`--threshold ${threshold} is not a whole number of probes >= 1`, {hint: 'use --threshold 3 (a region is lost after 3 failed probes in a row)'})
  const clock = options.clock ?? systemClock
  const intervalMs = options.intervalMs ?? DEFAULT_WATCH_INTERVAL_MS
  // Below a second the probes would only load the API servers they watch (Route 53 probes every 10 s or 30 s).
  if (intervalMs < 1000) throw new UsageError(`--interval ${intervalMs}ms is too short: probes would load the clusters they watch`, {hint: 'use --interval 1s or more (default 10s)'})
  // Short requests and no long retries: a region that does not answer must not hold a round.
  const connection = await connectEnvironment(options.env, {home: options.home, tolerateUnreachable: true, retry: {deadlineMs: 3000}})
  try {
    const regions = regionsOf(connection.record.spec)
    if (regions.length < 2) {
      throw new UsageError(`environment "${options.env}" has no secondary region: there is nothing to fail over to, so nothing to watch`, {
        hint: `add one with \`mygate env create ${options.env} --secondary-region REGION\``,
      })
    }
    const clients = connection.clients as ReadonlyMap<string, KubeApi>
    const databases = options.catalog.services.filter((s) => s.kind === 'mongodb')
    let record = connection.record
    let last: ProbeRound | undefined
    let serving: string[] = []
    const actions: WatchAction[] = []

    const probe = async () => {
      record = await freshestRecord(clients, record)
      serving = servingRegions({activeRegion: record.activeRegion, drMode: record.spec.drMode, regions, dns: await dnsAnswer(record, options.home)})
      last = await probeRegions({spec: record.spec, clients, databases, serving, preferredRegion: record.activeRegion, apiTimeoutMs: options.apiTimeoutMs, now: clock.now})
      return last.probes
    }

    const onLost = async (region: string, lost: {lostAt: number; error?: string}): Promise<LossOutcome> => {
      const survivor = regions.find((r) => r !== region && last?.probes.find((p) => p.region === r)?.ok)
      const views = survivor !== undefined && last?.statusRanIn === survivor && last.databases ? databaseViewsFor(last.databases, survivor) : undefined
      const decision = decideOnLoss({
        environment: options.env,
        lost: region,
        serving,
        ...(survivor === undefined ? {} : {survivor}),
        ...(views === undefined ? {} : {databases: views}),
        drMode: record.spec.drMode,
        lostForMs: clock.now() - lost.lostAt,
        electionGraceMs: options.electionGraceMs ?? electionWaitMs(ELECTION_DEFAULTS),
      })
      if (decision.action === 'wait') {
        options.onLine(`${region} lost: waiting: ${decision.why}`)
        return 'waiting'
      }
      if (decision.action === 'act') {
        options.onLine(`${region} lost: ${decision.why}; running the steps that need no human (lock, scale, Redis, DNS, verify, record)`)
        const acted = await actOnLoss({env: options.env, catalog: options.catalog, lost: region, survivor: decision.survivor, error: lost.error, progress: options.progress, home: options.home, tuning: options.tuning, now: () => new Date(clock.now())}).catch(
          (error: unknown) => ({acted: false as const, why: `the watch's failover run failed: ${(error as Error).message}`, hint: `finish it with \`mygate failover resume --env ${options.env}\``}),
        )
        if (acted.acted) {
          options.onLine(`${region} lost: handled by run ${acted.run.id}: ${options.env} serves from ${acted.run.plan.to}`)
          actions.push({region, outcome: 'handled', runId: acted.run.id})
          return 'handled'
        }
        return alert(region, {environment: options.env, lost: region, why: acted.why, ...(acted.hint ? {command: commandOf(acted.hint)} : {})}, decision.survivor)
      }
      return alert(region, {environment: options.env, lost: region, why: decision.why, ...(decision.command ? {command: decision.command} : {})}, survivor)
    }

    const alert = async (region: string, body: WatchAlert, survivor: string | undefined): Promise<LossOutcome> => {
      options.onLine(alertLine(body))
      const action: WatchAction = {region, outcome: 'needs-human', alert: body}
      if (survivor !== undefined) {
        try {
          action.event = await recordAlertEvent(clients.get(survivor) as KubeApi, body, new Date(clock.now()))
        } catch (error) {
          if (!isMygateError(error)) throw error
          options.onLine(`could not record the alert as an Event in ${survivor}: ${error.message}`)
        }
      }
      actions.push(action)
      return 'needs-human'
    }

    const summary = await runWatchLoop({regions, threshold, intervalMs, once: options.once ?? false, clock, probe, onLost, onLine: options.onLine, signal: options.signal})
    return {
      environment: options.env,
      verdict: summary.verdict,
      rounds: summary.rounds,
      regions: summary.state.regions.map((r) => ({region: r.region, condition: r.condition, failures: r.failures, ...(r.lastError ? {lastError: r.lastError} : {})})),
      actions,
    }
  } finally {
    connection.close()
  }
}

/** A hint's command between backquotes, else the hint itself. */
function commandOf(hint: string): string {
  return /`([^`]+)`/.exec(hint)?.[1] ?? hint
}

/** The newest record among the regions that answer (a failover moves the active region). */
async function freshestRecord(clients: ReadonlyMap<string, KubeApi>, current: EnvironmentRecord): Promise<EnvironmentRecord> {
  let newest = current
  await Promise.all(
    [...clients.values()].map(async (client) => {
      // A region that does not answer has no newer record to offer; its probe reports it.
      const found = await readRecord(client).catch((error: unknown) => {
        if (isMygateError(error)) return undefined
        throw error
      })
      if (found && found.updatedAt > newest.updatedAt) newest = found
    }),
  )
  return newest
}

/** Which regions DNS serves (weighted mode reads the weights); undefined when the DNS is not mygate's or does not answer. */
async function dnsAnswer(record: EnvironmentRecord, home: string | undefined) {
  if (record.spec.drMode !== 'active-active') return undefined
  try {
    const traffic = await openEnvironmentTraffic(record, {home})
    try {
      return await traffic.describe()
    } finally {
      await traffic.close()
    }
  } catch (error) {
    // No managed DNS (kubeconfig) or the DNS API does not answer: both regions count as serving,
    // the stricter reading (a loss of either is acted on).
    if (isMygateError(error)) return undefined
    throw error
  }
}
