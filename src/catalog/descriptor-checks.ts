import {DEFAULT_MIN_REQUESTS} from '../analysis/sample-size.js'
import {parseDuration} from '../duration.js'
import {timeZoneProblem} from './cron.js'
import type {Problem} from '../config/yaml-source.js'
import type {RawDescriptor} from './descriptor-schema.js'
import {cpuMillicores, memoryBytes} from './quantity.js'
import {type AnalysisThresholds, TIERS, type ServiceDescriptor} from './types.js'

/**
 * Rules for one descriptor that a JSON schema cannot state clearly: those that depend on the
 * service type or relate two fields. Runs only on a document that passed the schema.
 */

/** Canary weights used when an app descriptor states none. */
export const DEFAULT_CANARY_STEPS = [10, 25, 50, 100]
export const DEFAULT_STEP_PAUSE = '1m'

/**
 * Data services roll their StatefulSet one pod at a time; there is no traffic split, so the
 * analysis thresholds only guard the app services' own rollouts and are kept lenient here.
 */
const DATA_ROLLOUT_ANALYSIS: AnalysisThresholds = {maxErrorRate: 0.05, maxP99LatencyMs: 5000, interval: '1m', failureLimit: 3, minRequests: DEFAULT_MIN_REQUESTS}

export function checkDescriptor(raw: RawDescriptor): Problem[] {
  const problems: Problem[] = []
  const isApp = raw.type === 'app'
  const add = (path: Array<string | number>, message: string) => problems.push({path, message})

  if (isApp) {
    if (raw.probes?.type === 'tcp') add(['probes', 'type'], 'must be http for an app service (readiness needs the HTTP endpoint)')
    if (!raw.probes) add(['probes'], 'is required for an app service (liveness and readiness paths)')
    else {
      if (raw.probes.liveness === undefined) add(['probes', 'liveness'], 'is required for an app service')
      if (raw.probes.readiness === undefined) add(['probes', 'readiness'], 'is required for an app service')
    }
    if (!raw.autoscaling) add(['autoscaling'], 'is required for an app service (minReplicas, maxReplicas, targetCPUUtilizationPercentage)')
    if (!raw.rollout) add(['rollout'], 'is required for an app service (strategy and analysis)')
    else if (!raw.rollout.analysis) add(['rollout', 'analysis'], 'is required for an app service (maxErrorRate, maxP99LatencyMs, interval, failureLimit)')
    for (const tier of TIERS) {
      if (raw.tiers[tier].storage !== undefined) add(['tiers', tier, 'storage'], 'is only for data services (mongodb, redis); app services keep no volume')
    }
  } else {
    if (raw.probes && (raw.probes.type ?? 'http') !== 'tcp') {
      add(['probes', 'type'], `must be tcp for a ${raw.type} service (it serves no HTTP)`)
    }
    if (raw.probes?.liveness !== undefined) add(['probes', 'liveness'], `is only for HTTP probes; a ${raw.type} service is probed over TCP`)
    if (raw.probes?.readiness !== undefined) add(['probes', 'readiness'], `is only for HTTP probes; a ${raw.type} service is probed over TCP`)
    if (raw.autoscaling) add(['autoscaling'], `is only for app services; a ${raw.type} StatefulSet is sized per tier`)
    if (raw.rollout && raw.rollout.strategy !== 'rolling') {
      add(['rollout', 'strategy'], `must be rolling for a ${raw.type} service (a StatefulSet cannot split traffic), got "${raw.rollout.strategy}"`)
    }
    const deps = raw.dependencies
    if (deps && (deps.database !== undefined || deps.cache !== undefined || (deps.services ?? []).length > 0)) {
      add(['dependencies'], 'must be empty for a data service (data services depend on nothing)')
    }
    if (raw.spot) add(['spot'], `must be false for a ${raw.type} service (a spot reclaim takes its volume's pod down without warning)`)
    for (const tier of TIERS) {
      if (raw.tiers[tier].storage === undefined) add(['tiers', tier, 'storage'], `is required for a ${raw.type} service (volume size per replica)`)
    }
  }

  if (raw.type === 'mongodb') {
    for (const tier of TIERS) {
      const {replicas} = raw.tiers[tier]
      if (replicas % 2 === 0) {
        add(['tiers', tier, 'replicas'], `must be odd for a MongoDB replica set (1, 3, 5) so elections have a majority, got ${replicas}`)
      }
    }
    if (!raw.backup?.enabled) add(raw.backup ? ['backup', 'enabled'] : ['backup'], 'must be enabled for a mongodb service (a schedule and a retention)')
  }

  for (const tier of TIERS) {
    const {requests, limits} = raw.tiers[tier].resources
    if (cpuMillicores(requests.cpu) > cpuMillicores(limits.cpu)) {
      add(['tiers', tier, 'resources', 'requests', 'cpu'], `must not exceed limits.cpu (${requests.cpu} > ${limits.cpu})`)
    }
    if (memoryBytes(requests.memory) > memoryBytes(limits.memory)) {
      add(['tiers', tier, 'resources', 'requests', 'memory'], `must not exceed limits.memory (${requests.memory} > ${limits.memory})`)
    }
  }

  if (raw.autoscaling) {
    const {minReplicas, maxReplicas} = raw.autoscaling
    if (minReplicas > maxReplicas) add(['autoscaling', 'minReplicas'], `must not exceed maxReplicas (${minReplicas} > ${maxReplicas})`)
    const prod = raw.tiers.prod.replicas
    if (minReplicas <= maxReplicas && (prod < minReplicas || prod > maxReplicas)) {
      add(['tiers', 'prod', 'replicas'], `must lie within autoscaling bounds ${minReplicas}..${maxReplicas}, got ${prod}`)
    }
  }

  const steps = raw.rollout?.canarySteps
  if (steps) {
    for (let index = 1; index < steps.length; index++) {
      if (steps[index] <= steps[index - 1]) {
        add(['rollout', 'canarySteps', index], `must be greater than the step before it (${steps[index - 1]}), got ${steps[index]}`)
        break
      }
    }
    if (steps.at(-1) !== 100) add(['rollout', 'canarySteps', steps.length - 1], `must end at 100 (all traffic on the new version), got ${steps.at(-1)}`)
  }

  if (raw.backup?.enabled) {
    if (raw.backup.schedule === undefined) add(['backup', 'schedule'], 'is required when backups are enabled (5-field cron)')
    const {retention, keepDaily, keepWeekly, keepMonthly} = raw.backup
    if (retention === undefined && !keepDaily && !keepWeekly && !keepMonthly) {
      add(['backup', 'retention'], 'is required when backups are enabled (e.g. 7d), unless keepDaily, keepWeekly or keepMonthly keeps some')
    }
  }
  if (raw.backup?.timeZone !== undefined) {
    const problem = timeZoneProblem(raw.backup.timeZone)
    if (problem) add(['backup', 'timeZone'], problem)
  }
  if (raw.backup?.retention !== undefined && parseDuration(raw.backup.retention) === 0) {
    add(['backup', 'retention'], 'must be longer than 0')
  }

  const envs = new Map<string, number>()
  for (const [index, secret] of (raw.secrets ?? []).entries()) {
    const first = envs.get(secret.env)
    if (first !== undefined) add(['secrets', index, 'env'], `repeats ${secret.env} (already secrets[${first}].env)`)
    else envs.set(secret.env, index)
    // The connection string is built from the reading service's own database (dependencies.database).
    if (secret.generate === 'mongodb-uri' && raw.dependencies?.database === undefined) {
      add(['secrets', index, 'generate'], 'mongodb-uri needs dependencies.database (the database whose members and credentials it is built from)')
    }
  }
  return problems
}

/** Applies defaults and maps YAML's `type` onto the descriptor's `kind`. */
export function toDescriptor(raw: RawDescriptor, sourceFile: string): ServiceDescriptor {
  const isApp = raw.type === 'app'
  const probes: ServiceDescriptor['probes'] = isApp
    ? {type: 'http', liveness: raw.probes?.liveness ?? '', readiness: raw.probes?.readiness ?? ''}
    : {type: 'tcp', liveness: '', readiness: ''}
  const rollout = raw.rollout
  return {
    name: raw.name,
    description: raw.description,
    kind: raw.type,
    image: {...raw.image},
    port: raw.port,
    probes,
    tiers: Object.fromEntries(
      TIERS.map((tier) => {
        const {replicas, resources, storage} = raw.tiers[tier]
        return [tier, {replicas, resources: {requests: {...resources.requests}, limits: {...resources.limits}}, ...(storage ? {storage} : {})}]
      }),
    ) as ServiceDescriptor['tiers'],
    ...(raw.autoscaling ? {autoscaling: {...raw.autoscaling}} : {}),
    rollout: {
      strategy: rollout?.strategy ?? 'rolling',
      canarySteps: [...(rollout?.canarySteps ?? (isApp ? DEFAULT_CANARY_STEPS : [100]))],
      stepPause: rollout?.stepPause ?? (isApp ? DEFAULT_STEP_PAUSE : '0'),
      analysis: {minRequests: DEFAULT_MIN_REQUESTS, ...(rollout?.analysis ?? DATA_ROLLOUT_ANALYSIS)},
    },
    dependencies: {
      ...(raw.dependencies?.database ? {database: raw.dependencies.database} : {}),
      ...(raw.dependencies?.cache ? {cache: raw.dependencies.cache} : {}),
      services: [...(raw.dependencies?.services ?? [])],
    },
    secrets: (raw.secrets ?? []).map((secret) => ({...secret})),
    criticality: {...raw.criticality},
    backup: {...(raw.backup ?? {enabled: false})},
    spot: raw.spot,
    source: {file: sourceFile},
  }
}
