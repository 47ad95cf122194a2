import {ExternalError, isMygateError} from '../errors.js'

/**
 * A client for the Prometheus HTTP API (/api/v1/query and /api/v1/query_range). The transport is
 * injected: in mygate it goes through the Kubernetes API server's service proxy with the
 * cluster's credentials, so the same code reaches a real Prometheus and the local control
 * plane's metrics, with no port-forward.
 */

export interface PrometheusResponse {
  status: number
  body: string
}

/**
 * Sends a GET to `path` (always "/api/v1/..."), query string in `params`. The transport prefixes
 * whatever reaches Prometheus, e.g.
 * "/api/v1/namespaces/monitoring/services/prometheus:9090/proxy" + path.
 */
export type PrometheusTransport = (path: string, params: URLSearchParams) => Promise<PrometheusResponse>

export interface Sample {
  /** Unix seconds (Prometheus' own resolution: fractional, millisecond precision). */
  timestamp: number
  /** NaN, +Infinity and -Infinity are kept as such ("NaN", "+Inf", "-Inf" in the JSON). */
  value: number
}

export interface InstantSeries extends Sample {
  labels: Record<string, string>
}

export interface InstantQueryResult {
  /** Scalars come back as one series with no labels, so callers read both the same way. */
  resultType: 'vector' | 'scalar'
  series: InstantSeries[]
  warnings: string[]
}

export interface RangeSeries {
  labels: Record<string, string>
  values: Sample[]
}

export interface RangeQueryResult {
  resultType: 'matrix'
  series: RangeSeries[]
  warnings: string[]
}

export interface RangeQueryOptions {
  /** Unix seconds. */
  start: number
  end: number
  stepSeconds: number
}

export interface PrometheusClient {
  query(promql: string, timeSeconds?: number): Promise<InstantQueryResult>
  queryRange(promql: string, range: RangeQueryOptions): Promise<RangeQueryResult>
}

/** Prometheus writes sample values as strings so that NaN and infinities survive JSON. */
export function parseSampleValue(text: unknown): number {
  if (typeof text !== 'string') throw malformed(`sample value ${JSON.stringify(text)} is not a string`)
  switch (text) {
    case 'NaN':
      return Number.NaN
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY
    case '-Inf':
      return Number.NEGATIVE_INFINITY
  }
  const value = Number(text)
  if (text.trim() === '' || Number.isNaN(value)) throw malformed(`sample value "${text}" is not a number`)
  return value
}

function malformed(why: string): ExternalError {
  return new ExternalError(`Prometheus returned a malformed response: ${why}`, {
    hint: 'check that the service proxy reaches Prometheus (monitoring/prometheus:9090)',
  })
}

function parseSample(pair: unknown): Sample {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'number') {
    throw malformed(`sample ${JSON.stringify(pair)} is not [timestamp, "value"]`)
  }
  return {timestamp: pair[0], value: parseSampleValue(pair[1])}
}

function labelsOf(item: unknown): Record<string, string> {
  const metric = (item as {metric?: unknown})?.metric
  if (metric === undefined) return {}
  if (typeof metric !== 'object' || metric === null) throw malformed('series "metric" is not an object')
  return metric as Record<string, string>
}

interface Envelope {
  status?: unknown
  data?: {resultType?: unknown; result?: unknown}
  errorType?: unknown
  error?: unknown
  warnings?: unknown
}

/** Turns a transport response into the envelope's data, or the ExternalError that explains it. */
function readEnvelope(response: PrometheusResponse, promql: string): {resultType: string; result: unknown; warnings: string[]} {
  let envelope: Envelope | undefined
  try {
    envelope = JSON.parse(response.body) as Envelope
  } catch {
    envelope = undefined
  }
  // Prometheus answers bad queries with 400/422 and a JSON error; anything that is not JSON came
  // from something in front of it (the API server's proxy, a missing Service).
  if (envelope?.status === 'error' || (envelope !== undefined && typeof envelope.error === 'string')) {
    throw new ExternalError(`Prometheus query failed (${String(envelope.errorType ?? 'error')}): ${String(envelope.error)}`, {
      details: {status: response.status, errorType: envelope.errorType, query: promql},
      hint: envelope.errorType === 'bad_data' ? 'the analysis query is invalid: this is a bug in mygate, please report it' : undefined,
    })
  }
  if (response.status < 200 || response.status > 299) {
    const snippet = response.body.trim().slice(0, 200)
    throw new ExternalError(`Prometheus answered HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`, {
      details: {status: response.status, query: promql},
      hint: 'check that Prometheus runs in the monitoring namespace and that your credentials may use the services/proxy subresource',
    })
  }
  if (envelope === undefined) throw malformed('body is not JSON')
  if (envelope.status !== 'success' || typeof envelope.data !== 'object' || envelope.data === null) {
    throw malformed('missing status "success" or data')
  }
  const warnings = Array.isArray(envelope.warnings) ? envelope.warnings.map(String) : []
  return {resultType: String(envelope.data.resultType), result: envelope.data.result, warnings}
}

export function createPrometheusClient({request}: {request: PrometheusTransport}): PrometheusClient {
  async function send(path: string, params: URLSearchParams, promql: string): Promise<ReturnType<typeof readEnvelope>> {
    let response: PrometheusResponse
    try {
      response = await request(path, params)
    } catch (error) {
      if (isMygateError(error)) throw error
      throw new ExternalError(`could not reach Prometheus: ${error instanceof Error ? error.message : String(error)}`, {cause: error})
    }
    return readEnvelope(response, promql)
  }

  return {
    async query(promql, timeSeconds) {
      const params = new URLSearchParams({query: promql})
      if (timeSeconds !== undefined) params.set('time', String(timeSeconds))
      const {resultType, result, warnings} = await send('/api/v1/query', params, promql)
      if (resultType === 'scalar') return {resultType, series: [{labels: {}, ...parseSample(result)}], warnings}
      if (resultType !== 'vector') throw malformed(`expected a vector or scalar, got "${resultType}"`)
      if (!Array.isArray(result)) throw malformed('vector result is not an array')
      const series = result
        // Native-histogram samples carry "histogram" instead of "value"; analysis reads floats only.
        .filter((item) => (item as {value?: unknown})?.value !== undefined)
        .map((item) => ({labels: labelsOf(item), ...parseSample((item as {value: unknown}).value)}))
      return {resultType, series, warnings}
    },

    async queryRange(promql, {start, end, stepSeconds}) {
      if (!(stepSeconds > 0) || end < start) {
        throw new RangeError(`invalid range: start ${start}, end ${end}, step ${stepSeconds}s`)
      }
      const params = new URLSearchParams({query: promql, start: String(start), end: String(end), step: String(stepSeconds)})
      const {resultType, result, warnings} = await send('/api/v1/query_range', params, promql)
      if (resultType !== 'matrix') throw malformed(`expected a matrix, got "${resultType}"`)
      if (!Array.isArray(result)) throw malformed('matrix result is not an array')
      const series = result.map((item) => {
        const values = (item as {values?: unknown})?.values ?? []
        if (!Array.isArray(values)) throw malformed('series "values" is not an array')
        return {labels: labelsOf(item), values: values.map(parseSample)}
      })
      return {resultType, series, warnings}
    },
  }
}
