import {ROLLOUT_STRATEGIES} from '../catalog/types.js'
import {ExternalError, UsageError} from '../errors.js'
import {ROLLOUT_PHASES, ROLLOUT_STATE_SCHEMA_VERSION, type RolloutState} from './state.js'

/**
 * The rollout record as a ConfigMap's `data` (string values only):
 *   schemaVersion: "1"
 *   rollout.json:  the RolloutState as JSON
 * The schema version sits beside the JSON so an older mygate can refuse a newer record before
 * parsing it. Non-finite numbers (a +Inf p99 latency) are written as {"$number": "+Inf"}, since
 * JSON would turn them into null, which means "no data".
 */

export const STATE_KEY = 'rollout.json'
export const SCHEMA_VERSION_KEY = 'schemaVersion'

export function encodeState(state: RolloutState): Record<string, string> {
  const json = JSON.stringify(
    state,
    (_key, value: unknown) => {
      if (typeof value === 'number' && !Number.isFinite(value)) {
        return {$number: Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf'}
      }
      return value
    },
    2,
  )
  return {[SCHEMA_VERSION_KEY]: String(state.schemaVersion), [STATE_KEY]: json}
}

const NON_FINITE: Record<string, number> = {NaN: Number.NaN, '+Inf': Number.POSITIVE_INFINITY, '-Inf': Number.NEGATIVE_INFINITY}

/**
 * Reads a rollout record back. A record written by a newer mygate (unknown schema version) is a
 * UsageError telling the user to upgrade; a damaged record is an ExternalError naming the field.
 * @param source names the record for messages, e.g. "configmap mygate-system/rollout-demo-visitors".
 */
export function decodeState(data: Record<string, string> | undefined, source = 'rollout record'): RolloutState {
  const broken = (why: string): ExternalError =>
    new ExternalError(`${source} is malformed: ${why}`, {
      hint: 'it was edited by hand or written by something else; delete it to start over (the running Deployments are not affected)',
    })
  if (data === undefined) throw broken('it has no data')
  const version = data[SCHEMA_VERSION_KEY]
  if (version === undefined) throw broken(`missing "${SCHEMA_VERSION_KEY}"`)
  if (version !== String(ROLLOUT_STATE_SCHEMA_VERSION)) {
    throw new UsageError(`${source} has schema version ${version}; this mygate reads version ${ROLLOUT_STATE_SCHEMA_VERSION}`, {
      hint: Number(version) > ROLLOUT_STATE_SCHEMA_VERSION ? 'it was written by a newer mygate: upgrade mygate' : undefined,
    })
  }
  const json = data[STATE_KEY]
  if (json === undefined) throw broken(`missing "${STATE_KEY}"`)
  let parsed: unknown
  try {
    parsed = JSON.parse(json, (_key, value: unknown) => {
      if (typeof value === 'object' && value !== null && '$number' in value) {
        const text = (value as {$number: unknown}).$number
        if (typeof text === 'string' && text in NON_FINITE) return NON_FINITE[text]
      }
      return value
    })
  } catch (error) {
    throw broken(`"${STATE_KEY}" is not JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  const problem = findProblem(parsed)
  if (problem !== undefined) throw broken(problem)
  const state = parsed as RolloutState
  if (state.schemaVersion !== ROLLOUT_STATE_SCHEMA_VERSION) {
    throw broken(`"${STATE_KEY}" says schema version ${String(state.schemaVersion)} but the record says ${version}`)
  }
  return state
}

const STEP_KINDS = ['setWeight', 'pause', 'analysis', 'promote', 'deployPreview', 'switchActive', 'scaleDownOld', 'updateDeployment', 'waitHealthy']

/** The first thing wrong with a decoded record, or undefined. Checks what the machine relies on. */
function findProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the record is not an object'
  const record = value as Record<string, unknown>
  for (const key of ['id', 'environment', 'service', 'toVersion', 'image', 'stepStartedAt', 'message', 'createdAt', 'updatedAt']) {
    if (typeof record[key] !== 'string') return `"${key}" must be a string`
  }
  for (const key of ['fromVersion', 'fromImage', 'pausedUntil', 'finishedAt']) {
    if (record[key] !== undefined && typeof record[key] !== 'string') return `"${key}" must be a string when present`
  }
  if (!ROLLOUT_STRATEGIES.includes(record.strategy as never)) return `"strategy" must be one of ${ROLLOUT_STRATEGIES.join(', ')}`
  if (!ROLLOUT_PHASES.includes(record.phase as never)) return `"phase" must be one of ${ROLLOUT_PHASES.join(', ')}`
  if (!Array.isArray(record.plan) || record.plan.length === 0) return '"plan" must be a non-empty list'
  for (const [index, step] of record.plan.entries()) {
    if (typeof step !== 'object' || step === null || !STEP_KINDS.includes((step as {kind?: string}).kind as string)) {
      return `plan step ${index + 1} has an unknown kind`
    }
  }
  const index = record.currentStepIndex
  if (!Number.isInteger(index) || (index as number) < 0 || (index as number) > record.plan.length) {
    return `"currentStepIndex" must be a whole number within 0..${record.plan.length}`
  }
  const weight = record.currentWeight
  if (typeof weight !== 'number' || weight < 0 || weight > 100) return '"currentWeight" must be a number within 0..100'
  const analysis = record.analysis as Record<string, unknown> | undefined
  if (
    typeof analysis !== 'object' ||
    analysis === null ||
    typeof analysis.maxErrorRate !== 'number' ||
    typeof analysis.maxP99LatencyMs !== 'number' ||
    typeof analysis.interval !== 'string' ||
    typeof analysis.failureLimit !== 'number'
  ) {
    return '"analysis" must hold maxErrorRate, maxP99LatencyMs, interval and failureLimit'
  }
  if (!Array.isArray(record.analysisRuns)) return '"analysisRuns" must be a list'
  for (const [i, run] of record.analysisRuns.entries()) {
    if (typeof run !== 'object' || run === null || !Array.isArray((run as {measurements?: unknown}).measurements)) {
      return `analysis run ${i + 1} has no measurements list`
    }
  }
  const startedBy = record.startedBy as Record<string, unknown> | undefined
  if (typeof startedBy !== 'object' || startedBy === null || typeof startedBy.user !== 'string' || typeof startedBy.host !== 'string') {
    return '"startedBy" must hold user and host'
  }
  if (record.phase === 'RollingBack' && typeof record.rollback !== 'object') return 'a rollout rolling back must say why ("rollback")'
  if (record.strategy === 'blue-green' && typeof record.colors !== 'object') return 'a blue-green rollout must record its colours ("colors")'
  return undefined
}
