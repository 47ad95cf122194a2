import type {AnalysisThresholds, Catalog, RolloutStrategy, ServiceDescriptor} from '../catalog/types.js'
import {requireService} from '../catalog/catalog.js'
import {parseDuration} from '../duration.js'
import {UsageError} from '../errors.js'
import {chooseStrategy, parseCanarySteps, parseImageRef, validateImageTag} from '../rollout/flags.js'
import {planBlueGreen, planCanary, planRolling, type RolloutStep} from '../rollout/plan.js'
import type {DatabaseDeployRequest} from './deploy-database.js'

/**
 * Deploy flags to per-service requests, checked completely before anything in a cluster changes:
 * every error here names the flag and the value, and nothing has been touched when it is thrown.
 */

export interface DeployFlags {
  services: string[]
  version?: string
  image?: string
  canary?: boolean
  blueGreen?: boolean
  rolling?: boolean
  /** "10,25,50,100"; canary only. Default: the descriptor's rollout.canarySteps. */
  steps?: string
  /** Bake time after each canary weight. Default: the descriptor's rollout.stepPause. */
  pause?: string
  /** Default true. */
  analysis?: boolean
  /** Default: the descriptor's rollout.analysis.interval. */
  analysisInterval?: string
  /** Longest wait for pods to become ready at one step (and for a person at a pause). Default 5m. */
  timeout?: string
  /** Blue-green: how long the old colour stays scaled after the switch. Default 30s. */
  scaleDownDelay?: string
  concurrency?: number
}

export interface ServiceRequest {
  descriptor: ServiceDescriptor
  strategy: RolloutStrategy
  /** Image reference to deploy; built from the environment's registry when only a version was given. */
  image: (registry: string) => string
  version: string
  plan: RolloutStep[]
  analysis: AnalysisThresholds
  analysisEnabled: boolean
}

export interface DeployRequest {
  services: ServiceRequest[]
  /** MongoDB services: upgraded by role (src/deploy/deploy-database.ts), never with a rollout strategy. */
  databases: DatabaseDeployRequest[]
  readyTimeoutMs: number
  concurrency: number
}

export const DEFAULT_TIMEOUT = '5m'
export const DEFAULT_SCALE_DOWN_DELAY = '30s'
const PROMQL_DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/

export function parseDeployFlags(flags: DeployFlags, catalog: Catalog): DeployRequest {
  if (flags.services.length === 0) {
    throw new UsageError('which service? name at least one', {hint: 'e.g. mygate deploy visitors --env demo --version 3.5.0 (see `mygate services list`)'})
  }
  const descriptors = [...new Set(flags.services)].map((name) => requireService(catalog, name))
  for (const descriptor of descriptors) {
    if (descriptor.kind !== 'app' && descriptor.kind !== 'mongodb') {
      throw new UsageError(`${descriptor.name} is a ${descriptor.kind} data service; mygate deploy rolls out app services and upgrades MongoDB databases only`, {
        hint: 'data services change with `mygate env create` (their image is pinned in the descriptor)',
      })
    }
  }
  const databaseDescriptors = descriptors.filter((d) => d.kind === 'mongodb')
  if (databaseDescriptors.length > 0 && databaseDescriptors.length < descriptors.length) {
    throw new UsageError(`${databaseDescriptors.map((d) => d.name).join(', ')}: a database is upgraded on its own, not in a release train with app services`, {
      hint: `deploy ${databaseDescriptors.map((d) => d.name).join(' ')} first, then the app services`,
    })
  }
  if ((flags.version === undefined) === (flags.image === undefined)) {
    throw new UsageError(flags.version === undefined ? 'what to deploy? pass --version or --image' : '--version and --image cannot be combined', {
      hint: 'e.g. --version 3.5.0, or --image registry.mygate.dev/mygate/visitors:3.5.0',
    })
  }
  if (flags.image !== undefined && descriptors.length > 1) {
    throw new UsageError('--image names one image, but several services were given', {hint: 'use --version for a release train, or deploy each service with its own --image'})
  }
  const imageRef = flags.image === undefined ? undefined : parseImageRef(flags.image)
  const version = imageRef?.version ?? validateImageTag(flags.version as string)

  if (databaseDescriptors.length > 0) return databaseRequest(flags, databaseDescriptors, imageRef?.ref, version)

  const strategyFlags = {canary: flags.canary, blueGreen: flags.blueGreen, rolling: flags.rolling}
  const steps = flags.steps === undefined ? undefined : parseCanarySteps(flags.steps)
  const pauseMs = flags.pause === undefined ? undefined : parseDuration(flags.pause, '--pause')
  if (flags.analysisInterval !== undefined) {
    parseDuration(flags.analysisInterval, '--analysis-interval')
    if (!PROMQL_DURATION.test(flags.analysisInterval)) {
      throw new UsageError(`--analysis-interval "${flags.analysisInterval}" must be whole units (it is also the PromQL window)`, {hint: 'e.g. 1s, 30s, 1m, 1m30s'})
    }
  }
  const readyTimeoutMs = parseDuration(flags.timeout ?? DEFAULT_TIMEOUT, '--timeout')
  if (readyTimeoutMs <= 0) throw new UsageError(`--timeout "${flags.timeout}" must be longer than 0`)
  const scaleDownDelayMs = parseDuration(flags.scaleDownDelay ?? DEFAULT_SCALE_DOWN_DELAY, '--scale-down-delay')
  const concurrency = flags.concurrency ?? 2
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency ${concurrency} must be a whole number of at least 1`)

  const services = descriptors.map((descriptor): ServiceRequest => {
    const strategy = chooseStrategy(strategyFlags, descriptor.rollout.strategy)
    if (strategy !== 'canary' && (steps !== undefined || pauseMs !== undefined)) {
      throw new UsageError(`${steps !== undefined ? '--steps' : '--pause'} applies to canary rollouts, but ${descriptor.name} would be deployed ${strategy}`, {
        hint: 'add --canary, or drop the flag',
      })
    }
    const analysisEnabled = flags.analysis ?? true
    const analysis: AnalysisThresholds = {...descriptor.rollout.analysis, ...(flags.analysisInterval ? {interval: flags.analysisInterval} : {})}
    const plan =
      strategy === 'canary'
        ? planCanary({
            steps: steps ?? descriptor.rollout.canarySteps,
            pauseMs: pauseMs ?? parseDuration(descriptor.rollout.stepPause, `${descriptor.name} rollout.stepPause`),
            analysis: analysisEnabled,
          })
        : strategy === 'blue-green'
          ? planBlueGreen({analysis: analysisEnabled, scaleDownDelayMs})
          : planRolling()
    const image = (registry: string) => imageRef?.ref ?? `${registry}/${descriptor.image.repository}:${version}`
    return {descriptor, strategy, image, version, plan, analysis, analysisEnabled}
  })
  return {services, databases: [], readyTimeoutMs, concurrency}
}

/**
 * MongoDB services: the image is `REPOSITORY:VERSION` of the descriptor's repository (`mongo`), or
 * the given --image; the only order is by role, so rollout-strategy flags are refused.
 */
function databaseRequest(flags: DeployFlags, descriptors: ServiceDescriptor[], imageRef: string | undefined, version: string): DeployRequest {
  const names = descriptors.map((d) => d.name).join(', ')
  const strategyFlag = flags.canary ? '--canary' : flags.blueGreen ? '--blue-green' : flags.rolling ? '--rolling' : flags.steps !== undefined ? '--steps' : flags.pause !== undefined ? '--pause' : flags.scaleDownDelay !== undefined ? '--scale-down-delay' : undefined
  if (strategyFlag) {
    throw new UsageError(`${strategyFlag} does not apply to ${names}: a database is upgraded by role (secondaries first, the primary last after a step-down)`, {hint: `drop ${strategyFlag}`})
  }
  const readyTimeoutMs = parseDuration(flags.timeout ?? '10m', '--timeout')
  if (readyTimeoutMs <= 0) throw new UsageError(`--timeout "${flags.timeout}" must be longer than 0`)
  const databases = descriptors.map((descriptor) => ({descriptor, image: imageRef ?? `${descriptor.image.repository}:${version}`, version}))
  return {services: [], databases, readyTimeoutMs, concurrency: 1}
}
