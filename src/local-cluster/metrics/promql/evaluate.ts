import type {SeriesSource, StoredSeries} from '../recorder.js'
import type {Expr, Matcher} from './parser.js'

export type Labels = Record<string, string>

export type Value =
  | {type: 'scalar'; value: number}
  | {type: 'vector'; samples: Array<{labels: Labels; value: number}>}
  | {type: 'matrix'; series: Array<{labels: Labels; points: Array<[number, number]>}>}

/** Evaluation problems that are the query's fault (answered as bad_data / execution errors). */
export class PromqlEvalError extends Error {
  override name = 'PromqlEvalError'
}

/** Prometheus' default lookback for instant selectors. */
const LOOKBACK_MS = 5 * 60_000

function matches(labels: Labels, matcher: Matcher): boolean {
  const value = labels[matcher.name] ?? ''
  switch (matcher.op) {
    case '=':
      return value === matcher.value
    case '!=':
      return value !== matcher.value
    case '=~':
      return new RegExp(`^(?:${matcher.value})$`).test(value)
    case '!~':
      return !new RegExp(`^(?:${matcher.value})$`).test(value)
  }
}

function select(series: StoredSeries[], matchers: Matcher[]): StoredSeries[] {
  return series.filter((s) => matchers.every((m) => matches(s.labels as Labels, m)))
}

const withoutName = (labels: Labels): Labels => {
  const {__name__: _name, ...rest} = labels
  return rest
}

const signature = (labels: Labels): string =>
  JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((key) => [key, labels[key]]),
  )

/**
 * Counter rate over the samples in the window: (last - first) / (their time span), with counter
 * resets added back as Prometheus does. Unlike Prometheus this does not extrapolate to the window
 * edges; for the simulator's steady per-second samples the result is the same rate.
 * Fewer than two samples: no result.
 */
export function counterRate(points: ReadonlyArray<[number, number]>): number | undefined {
  if (points.length < 2) return undefined
  let delta = 0
  for (let i = 1; i < points.length; i++) {
    const step = points[i][1] - points[i - 1][1]
    delta += step >= 0 ? step : points[i][1]
  }
  const seconds = (points[points.length - 1][0] - points[0][0]) / 1000
  return seconds > 0 ? delta / seconds : undefined
}

/**
 * Prometheus' bucketQuantile: linear interpolation inside the bucket holding the rank; the
 * +Inf bucket answers with the highest finite bound; no +Inf bucket or no observations: NaN.
 */
export function bucketQuantile(q: number, buckets: ReadonlyArray<{le: number; count: number}>): number {
  if (Number.isNaN(q)) return Number.NaN
  if (q < 0) return -Infinity
  if (q > 1) return Infinity
  const sorted = [...buckets].sort((a, b) => a.le - b.le)
  if (sorted.length < 2 || sorted[sorted.length - 1].le !== Infinity) return Number.NaN
  // Counts must not decrease (float noise can break this); Prometheus fixes it the same way.
  for (let i = 1; i < sorted.length; i++) if (sorted[i].count < sorted[i - 1].count) sorted[i] = {...sorted[i], count: sorted[i - 1].count}
  const total = sorted[sorted.length - 1].count
  if (total === 0 || Number.isNaN(total)) return Number.NaN
  const rank = q * total
  let b = sorted.findIndex((bucket) => bucket.count >= rank)
  if (b === -1) b = sorted.length - 1
  if (b === sorted.length - 1) return sorted[sorted.length - 2].le
  if (b === 0 && sorted[0].le <= 0) return sorted[0].le
  const start = b === 0 ? 0 : sorted[b - 1].le
  const end = sorted[b].le
  const below = b === 0 ? 0 : sorted[b - 1].count
  const inBucket = sorted[b].count - below
  return inBucket === 0 ? end : start + (end - start) * ((rank - below) / inBucket)
}

/** Evaluates `expr` at `at` (ms since the epoch). */
export function evaluate(expr: Expr, at: number, source: SeriesSource | StoredSeries[]): Value {
  const all = Array.isArray(source) ? source : source.series()
  const run = (e: Expr): Value => {
    switch (e.type) {
      case 'number':
        return {type: 'scalar', value: e.value}
      case 'selector': {
        const chosen = select(all, e.matchers)
        if (e.rangeMs !== undefined) {
          return {type: 'matrix', series: chosen.map((s) => ({labels: {...s.labels}, points: s.samples(at - e.rangeMs!, at)})).filter((s) => s.points.length > 0)}
        }
        const samples: Array<{labels: Labels; value: number}> = []
        for (const s of chosen) {
          const point = s.valueAt(at)
          // A NaN grid point is a staleness marker: the series is gone at that time.
          if (point && !Number.isNaN(point.v) && point.t > at - LOOKBACK_MS) samples.push({labels: {...s.labels}, value: point.v})
        }
        return {type: 'vector', samples}
      }
      case 'call': {
        if (e.func === 'rate') {
          const range = run(e.arg)
          if (range.type !== 'matrix') throw new PromqlEvalError('rate() needs a range vector')
          const samples: Array<{labels: Labels; value: number}> = []
          for (const s of range.series) {
            const rate = counterRate(s.points)
            if (rate !== undefined) samples.push({labels: withoutName(s.labels), value: rate})
          }
          return {type: 'vector', samples}
        }
        const q = run(e.quantile)
        if (q.type !== 'scalar') throw new PromqlEvalError('expected type scalar in call to function "histogram_quantile", got instant vector')
        const input = run(e.arg)
        if (input.type !== 'vector') throw new PromqlEvalError('expected type instant vector in call to function "histogram_quantile"')
        const groups = new Map<string, {labels: Labels; buckets: Array<{le: number; count: number}>}>()
        for (const sample of input.samples) {
          const le = sample.labels.le
          if (le === undefined) continue
          const bound = le === '+Inf' ? Infinity : Number(le)
          if (Number.isNaN(bound)) continue
          const {le: _le, ...rest} = withoutName(sample.labels)
          const key = signature(rest)
          let group = groups.get(key)
          if (!group) groups.set(key, (group = {labels: rest, buckets: []}))
          group.buckets.push({le: bound, count: sample.value})
        }
        return {type: 'vector', samples: [...groups.values()].map((g) => ({labels: g.labels, value: bucketQuantile(q.value, g.buckets)}))}
      }
      case 'sum': {
        const input = run(e.arg)
        if (input.type !== 'vector') throw new PromqlEvalError(`expected type instant vector in aggregation expression, got ${input.type === 'scalar' ? 'scalar' : 'range vector'}`)
        const groups = new Map<string, {labels: Labels; value: number}>()
        for (const sample of input.samples) {
          const labels: Labels = {}
          for (const name of e.by ?? []) if (sample.labels[name] !== undefined && sample.labels[name] !== '') labels[name] = sample.labels[name]
          const key = signature(labels)
          const group = groups.get(key)
          if (group) group.value += sample.value
          else groups.set(key, {labels, value: sample.value})
        }
        return {type: 'vector', samples: [...groups.values()]}
      }
      case 'binary': {
        const lhs = run(e.lhs)
        const rhs = run(e.rhs)
        if (lhs.type === 'matrix' || rhs.type === 'matrix') throw new PromqlEvalError('binary expression must contain only scalar and instant vector types')
        // JavaScript division already follows IEEE 754 as Go does: x/0 = ±Inf, 0/0 = NaN.
        if (lhs.type === 'scalar' && rhs.type === 'scalar') return {type: 'scalar', value: lhs.value / rhs.value}
        if (lhs.type === 'vector' && rhs.type === 'scalar') return {type: 'vector', samples: lhs.samples.map((s) => ({labels: withoutName(s.labels), value: s.value / rhs.value}))}
        if (lhs.type === 'scalar' && rhs.type === 'vector') return {type: 'vector', samples: rhs.samples.map((s) => ({labels: withoutName(s.labels), value: lhs.value / s.value}))}
        if (lhs.type === 'vector' && rhs.type === 'vector') {
          // One-to-one matching on all labels but the metric name.
          const right = new Map<string, number>()
          for (const s of rhs.samples) {
            const key = signature(withoutName(s.labels))
            if (right.has(key)) throw new PromqlEvalError('found duplicate series for the match group on the right hand-side of the operation: many-to-many matching not allowed')
            right.set(key, s.value)
          }
          const samples: Array<{labels: Labels; value: number}> = []
          for (const s of lhs.samples) {
            const labels = withoutName(s.labels)
            const other = right.get(signature(labels))
            if (other !== undefined) samples.push({labels, value: s.value / other})
          }
          return {type: 'vector', samples}
        }
        throw new PromqlEvalError('unsupported operands')
      }
    }
  }
  return run(expr)
}
