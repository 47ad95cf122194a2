import {PODS, DESTINATIONRULES, FEATUREFLAGS, SERVICES, VIRTUALSERVICES} from '../controllers/resources.js'
import {fnv1a32} from '../controllers/template-hash.js'
import {FAULTS} from '../faults/types.js'
import type {ObjectStore, ResourceRef, Subscription} from '../store/types.js'
import {bucketFractions, LATENCY_BUCKETS, meanLatencySeconds} from './latency-model.js'
import {computeTraffic, type VersionTraffic} from './traffic-model.js'

/** One stored time series: its labels (with __name__) and its samples on the recorder's grid. */
export interface StoredSeries {
  labels: Readonly<Record<string, string>>
  /** Samples with startExclusive < t <= endInclusive (ms), oldest first; absent points skipped. */
  samples(startExclusive: number, endInclusive: number): Array<[number, number]>
  /** The latest point at or before `at`, NaN when the series was absent (stale) there. */
  valueAt(at: number): {t: number; v: number} | undefined
}

/** What the PromQL evaluator reads. */
export interface SeriesSource {
  series(): StoredSeries[]
}

export interface MetricsRecorderOptions {
  store: ObjectStore
  clock?: () => number
  /** Sample interval; default 1000 ms (a scrape interval of 1 s). */
  stepMs?: number
  /** History kept; default 15 minutes. */
  retentionMs?: number
}

interface Counters {
  ok: number
  errors: number
  buckets: number[]
  sum: number
}

/** Recompute triggers: anything that moves traffic or changes a fault. */
const WATCHED: ResourceRef[] = [PODS, SERVICES, FAULTS, VIRTUALSERVICES, DESTINATIONRULES, FEATUREFLAGS]

/**
 * Simulated Prometheus storage. The traffic model (who serves how much, with which errors and
 * latency) is piecewise constant between cluster changes, so the counters are integrated
 * exactly: on every relevant watch event the history is first brought up to "now" with the old
 * model, then the model is recomputed. Samples sit on a fixed grid (every stepMs of the clock),
 * so nothing runs while nobody changes or asks anything. A version that gets no traffic has no
 * samples (its series are stale), which PromQL reads as an empty result, not zero.
 */
export class MetricsRecorder implements SeriesSource {
  private readonly store: ObjectStore
  private readonly clock: () => number
  private readonly stepMs: number
  private readonly maxPoints: number
  private times: number[] = []
  private readonly values = new Map<string, {labels: Record<string, string>; values: number[]}>()
  private readonly counters = new Map<string, Counters>()
  private model: VersionTraffic[] | undefined
  private dirty = true
  private recomputeScheduled = false
  private subscriptions: Subscription[] = []
  private lateTimer: NodeJS.Timeout | undefined

  constructor(options: MetricsRecorderOptions) {
    this.store = options.store
    this.clock = options.clock ?? Date.now
    this.stepMs = options.stepMs ?? 1000
    this.maxPoints = Math.max(2, Math.ceil((options.retentionMs ?? 15 * 60_000) / this.stepMs))
  }

  /** Follows the cluster through watches (types served later, like Istio's CRDs, are picked up). */
  start(): void {
    const pending = new Set(WATCHED)
    const attach = () => {
      for (const ref of [...pending]) {
        if (!this.store.typeFor(ref)) continue
        pending.delete(ref)
        const listed = this.store.list(ref)
        this.subscriptions.push(this.store.watch(ref, {resourceVersion: listed.resourceVersion}, (event) => event.type !== 'BOOKMARK' && this.changed()))
        this.changed()
      }
      if (pending.size > 0) {
        this.lateTimer = setTimeout(attach, 1000)
        this.lateTimer.unref?.()
      }
    }
    attach()
  }

  stop(): void {
    for (const subscription of this.subscriptions) subscription.stop()
    this.subscriptions = []
    if (this.lateTimer) clearTimeout(this.lateTimer)
  }

  /** The cluster changed: history up to now used the old state; what follows uses the new one. */
  changed(): void {
    this.advance(this.clock())
    this.dirty = true
    if (this.recomputeScheduled) return
    this.recomputeScheduled = true
    // A burst of events (a rollout step) costs one recompute.
    setImmediate(() => {
      this.recomputeScheduled = false
      if (this.dirty) this.recompute()
    })
  }

  /** Brings history up to the clock (call before reading). */
  sync(): void {
    if (this.dirty) this.recompute()
    this.advance(this.clock())
  }

  series(): StoredSeries[] {
    this.sync()
    const times = this.times
    return [...this.values.values()].map(({labels, values}) => ({
      labels,
      samples(startExclusive, endInclusive) {
        const out: Array<[number, number]> = []
        let i = lowerBound(times, startExclusive + 1)
        for (; i < times.length && times[i] <= endInclusive; i++) if (!Number.isNaN(values[i])) out.push([times[i], values[i]])
        return out
      },
      valueAt(at) {
        const i = lowerBound(times, at + 1) - 1
        return i < 0 ? undefined : {t: times[i], v: values[i]}
      },
    }))
  }

  /** The current per-version traffic (for `mygate local status` and tests). */
  traffic(): VersionTraffic[] {
    this.sync()
    return [...(this.model ?? [])]
  }

  private recompute(): void {
    this.model = computeTraffic(this.store)
    this.dirty = false
    // The first look at the cluster records a starting point, so rate() works one step later.
    if (this.times.length === 0) this.record(Math.floor(this.clock() / this.stepMs) * this.stepMs, 0)
  }

  private advance(now: number): void {
    if (!this.model) return
    const target = Math.floor(now / this.stepMs) * this.stepMs
    const last = this.times.at(-1)
    if (last === undefined) {
      this.record(target, 0)
      return
    }
    if (target <= last) return
    let t = last + this.stepMs
    const steps = (target - last) / this.stepMs
    if (steps > this.maxPoints) {
      // A long quiet gap: integrate it in one go and keep only what retention holds.
      const skipTo = target - this.maxPoints * this.stepMs
      this.accumulate((skipTo - last) / 1000, skipTo)
      t = skipTo + this.stepMs
    }
    for (; t <= target; t += this.stepMs) this.record(t, this.stepMs / 1000)
  }

  /** Adds `seconds` of traffic to the counters without recording a point. */
  private accumulate(seconds: number, at: number): void {
    for (const traffic of this.model ?? []) this.add(traffic, seconds, at)
  }

  private add(traffic: VersionTraffic, seconds: number, at: number): Counters {
    const key = `${traffic.namespace}/${traffic.service}/${traffic.version}${traffic.flag ? `/${traffic.flag.key}=${traffic.flag.variant}` : ''}`
    let counters = this.counters.get(key)
    if (!counters) this.counters.set(key, (counters = {ok: 0, errors: 0, buckets: LATENCY_BUCKETS.map(() => 0), sum: 0}))
    // Small deterministic wobble (±2% load, ±3% latency) so graphs look alive and tests stay exact.
    const wobble = (salt: string) => (fnv1a32(`${key}:${salt}:${at}`) / 0xffffffff - 0.5) * 2
    const requests = traffic.rps * seconds * (1 + 0.02 * wobble('rps'))
    const errors = requests * traffic.errorRate
    counters.errors += errors
    counters.ok += requests - errors
    const p99 = traffic.p99Ms * (1 + 0.03 * wobble('p99'))
    const fractions = bucketFractions(p99, traffic.shiftMs)
    fractions.forEach((fraction, i) => (counters.buckets[i] += requests * fraction))
    counters.sum += requests * meanLatencySeconds(p99, traffic.shiftMs)
    return counters
  }

  private record(at: number, seconds: number): void {
    this.times.push(at)
    const index = this.times.length - 1
    const seen = new Set<string>()
    for (const traffic of this.model ?? []) {
      const counters = this.add(traffic, seconds, at)
      // Flag labels follow OpenTelemetry's feature-flag semantic conventions (feature_flag.key,
      // feature_flag.result.variant), dots replaced by underscores as Prometheus label names need.
      const base = {
        namespace: traffic.namespace,
        service: traffic.service,
        version: traffic.version,
        ...(traffic.flag ? {feature_flag_key: traffic.flag.key, feature_flag_result_variant: traffic.flag.variant} : {}),
      }
      const total = counters.ok + counters.errors
      const put = (labels: Record<string, string>, value: number) => {
        const id = JSON.stringify(labels)
        seen.add(id)
        let entry = this.values.get(id)
        if (!entry) this.values.set(id, (entry = {labels, values: new Array(index).fill(Number.NaN)}))
        entry.values[index] = value
      }
      put({__name__: 'http_requests_total', ...base, code: '200'}, counters.ok)
      put({__name__: 'http_requests_total', ...base, code: '500'}, counters.errors)
      LATENCY_BUCKETS.forEach((le, i) => put({__name__: 'http_request_duration_seconds_bucket', ...base, le: String(le)}, counters.buckets[i]))
      put({__name__: 'http_request_duration_seconds_bucket', ...base, le: '+Inf'}, total)
      put({__name__: 'http_request_duration_seconds_count', ...base}, total)
      put({__name__: 'http_request_duration_seconds_sum', ...base}, counters.sum)
    }
    for (const [id, entry] of this.values) if (!seen.has(id)) entry.values[index] = Number.NaN
    this.trim()
  }

  private trim(): void {
    // Trim in chunks so the shift cost is paid once per minute, not once per sample.
    const excess = this.times.length - this.maxPoints
    if (excess < 60) return
    this.times = this.times.slice(excess)
    for (const [id, entry] of this.values) {
      entry.values = entry.values.slice(excess)
      if (entry.values.every(Number.isNaN)) this.values.delete(id)
    }
  }
}

/** First index with times[i] >= value. */
function lowerBound(times: readonly number[], value: number): number {
  let lo = 0
  let hi = times.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (times[mid] < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

const recorders = new WeakMap<ObjectStore, MetricsRecorder>()

/**
 * The one recorder of a store, created and started on first use: the controllers start it with
 * the cluster so history begins then, and the Prometheus proxy finds the same one.
 */
export function metricsRecorderFor(store: ObjectStore, clock?: () => number): MetricsRecorder {
  let recorder = recorders.get(store)
  if (!recorder) {
    recorder = new MetricsRecorder({store, clock})
    recorders.set(store, recorder)
    recorder.start()
  }
  return recorder
}

/** Stops and forgets a store's recorder (the cluster is shutting down). */
export function releaseMetricsRecorder(store: ObjectStore): void {
  recorders.get(store)?.stop()
  recorders.delete(store)
}
