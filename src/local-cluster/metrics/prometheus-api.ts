import type {SeriesSource} from './recorder.js'
import {evaluate, PromqlEvalError, type Value} from './promql/evaluate.js'
import {parsePromql, PromqlParseError} from './promql/parser.js'

export interface PrometheusResponse {
  status: number
  body: unknown
}

/** What `api/v1/status/buildinfo` reports: a Prometheus 2.x the analysis code knows how to talk to. */
export const BUILD_INFO = {version: '2.53.0', revision: 'mygate-local', branch: 'local', buildUser: 'mygate', buildDate: '20260101-00:00:00', goVersion: 'simulated'}

/** Prometheus refuses range queries with more points than this per series. */
const MAX_POINTS = 11_000

const badData = (error: string): PrometheusResponse => ({status: 400, body: {status: 'error', errorType: 'bad_data', error}})
const execution = (error: string): PrometheusResponse => ({status: 422, body: {status: 'error', errorType: 'execution', error}})
const success = (data: unknown): PrometheusResponse => ({status: 200, body: {status: 'success', data}})

/**
 * Sample values as Prometheus writes them: Go's FormatFloat(v, 'f', -1, 64), so no exponents;
 * NaN as "NaN" and infinities as "+Inf" / "-Inf" (how a 0/0 error rate reaches clients).
 */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  const text = String(value)
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text)
  if (!match) return text
  // Expand JavaScript's shortest exponent form digit for digit (no rounding noise).
  const [, sign, first, rest = '', exponentText] = match
  const digits = first + rest
  const exponent = Number(exponentText)
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`
  if (digits.length - 1 <= exponent) return `${sign}${digits}${'0'.repeat(exponent - (digits.length - 1))}`
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`
}

/** Unix seconds with millisecond precision, as a JSON number (Prometheus' sample timestamp). */
const seconds = (ms: number): number => Math.round(ms) / 1000

/** `time`, `start`, `end`: Unix seconds (fractions allowed) or RFC 3339. */
export function parseTime(text: string, name: string): number {
  if (/^[+-]?\d+(\.\d+)?$/.test(text.trim())) return Math.round(Number(text) * 1000)
  const ms = Date.parse(text)
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) throw new Error(`invalid parameter "${name}": cannot parse "${text}" to a valid timestamp`)
  return ms
}

/** `step`: float seconds or a PromQL duration. */
export function parseStep(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Math.round(Number(text) * 1000)
  const match = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/.exec(text.trim())
  if (!match) throw new Error(`invalid parameter "step": cannot parse "${text}" to a valid duration`)
  const units: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000}
  let ms = 0
  for (const part of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) ms += Number(part[1]) * units[part[2]]
  return ms
}

function parseQuery(params: URLSearchParams): ReturnType<typeof parsePromql> {
  const query = params.get('query')
  if (query === null || query === '') throw new PromqlParseError(0, 'no expression found in input')
  return parsePromql(query)
}

function instantResult(value: Value, at: number): unknown {
  switch (value.type) {
    case 'scalar':
      return {resultType: 'scalar', result: [seconds(at), formatSampleValue(value.value)]}
    case 'vector':
      return {resultType: 'vector', result: value.samples.map((s) => ({metric: s.labels, value: [seconds(at), formatSampleValue(s.value)]}))}
    case 'matrix':
      return {resultType: 'matrix', result: value.series.map((s) => ({metric: s.labels, values: s.points.map(([t, v]) => [seconds(t), formatSampleValue(v)])}))}
  }
}

/**
 * The Prometheus HTTP API over the simulated series: `api/v1/query`, `api/v1/query_range`,
 * `api/v1/status/buildinfo`, and the `-/ready` / `-/healthy` probes. `path` has no leading
 * slash; `params` merges the query string and a form-encoded POST body.
 */
export function handlePrometheusApi(path: string, params: URLSearchParams, source: SeriesSource, now: number): PrometheusResponse | undefined {
  const route = path.replace(/^\/+/, '').replace(/\/+$/, '')
  if (route === '-/ready' || route === '-/healthy') return {status: 200, body: route === '-/ready' ? 'Prometheus Server is Ready.\n' : 'Prometheus Server is Healthy.\n'}
  if (route === 'api/v1/status/buildinfo') return success(BUILD_INFO)
  if (route !== 'api/v1/query' && route !== 'api/v1/query_range') return undefined
  try {
    if (route === 'api/v1/query') {
      const at = params.get('time') ? parseTime(params.get('time') as string, 'time') : now
      const expr = parseQuery(params)
      return success(instantResult(evaluate(expr, at, source), at))
    }
    for (const name of ['start', 'end', 'step']) if (!params.get(name)) throw new Error(`invalid parameter "${name}": cannot parse "" to a valid ${name === 'step' ? 'duration' : 'timestamp'}`)
    const start = parseTime(params.get('start') as string, 'start')
    const end = parseTime(params.get('end') as string, 'end')
    if (end < start) throw new Error('invalid parameter "end": end timestamp must not be before start time')
    const step = parseStep(params.get('step') as string)
    if (step <= 0) throw new Error('invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer')
    if ((end - start) / step > MAX_POINTS) throw new Error('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)')
    const expr = parseQuery(params)
    if (expr.type === 'selector' && expr.rangeMs !== undefined) throw new Error('invalid parameter "query": invalid expression type "range vector" for range query, must be Scalar or instant Vector')
    const series = Array.isArray(source) ? source : source.series()
    const matrix = new Map<string, {metric: Record<string, string>; values: Array<[number, string]>}>()
    for (let t = start; t <= end; t += step) {
      const value = evaluate(expr, t, series)
      const samples = value.type === 'scalar' ? [{labels: {}, value: value.value}] : value.type === 'vector' ? value.samples : []
      for (const sample of samples) {
        const key = JSON.stringify(Object.entries(sample.labels).sort())
        let entry = matrix.get(key)
        if (!entry) matrix.set(key, (entry = {metric: sample.labels, values: []}))
        entry.values.push([seconds(t), formatSampleValue(sample.value)])
      }
    }
    return success({resultType: 'matrix', result: [...matrix.values()]})
  } catch (error) {
    if (error instanceof PromqlParseError) return badData(`invalid parameter "query": ${error.message}`)
    if (error instanceof PromqlEvalError) return execution(error.message)
    if (error instanceof Error && error.message.startsWith('invalid parameter')) return badData(error.message)
    if (error instanceof Error && error.message.startsWith('exceeded maximum')) return badData(error.message)
    throw error
  }
}
