import {UsageError} from '../errors.js'

/**
 * Release trains: several services deployed by one `mygate deploy a b c`, in dependency order,
 * with bounded concurrency. Each service runs its own rollout; a failed one rolls back on its own,
 * and services that depend on it (within the train) are skipped, never started, so nothing is
 * left half-shifted onto a version whose dependency was refused.
 */

export interface ReleaseTrainOptions {
  /** The services in the train, in the order the user gave them (kept within a wave). */
  services: string[]
  /** The services `name` calls (the descriptor's dependencies.services); others are ignored. */
  dependsOn: (name: string) => string[]
  /** Most rollouts running at once, at least 1. */
  concurrency: number
}

export interface ReleaseTrain {
  /** Groups run one after another; the services of a group run together. */
  waves: string[][]
  /** Each service's dependencies within the train. */
  dependencies: Record<string, string[]>
}

/**
 * Schedules the train: a service joins the earliest wave after every in-train dependency's wave,
 * taking services in the user's order and at most `concurrency` per wave.
 *
 *   services [web, api, db-sync], web -> api, concurrency 2
 *     -> [[api, db-sync], [web]]
 *   services [a, b, c, d] (independent), concurrency 2 -> [[a, b], [c, d]]
 *
 * A dependency cycle within the train is a UsageError naming it.
 */
export function planReleaseTrain({services, dependsOn, concurrency}: ReleaseTrainOptions): ReleaseTrain {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`--concurrency ${concurrency} must be a whole number of at least 1`)
  }
  const unique = [...new Set(services)]
  const inTrain = new Set(unique)
  const dependencies: Record<string, string[]> = {}
  for (const service of unique) {
    dependencies[service] = [...new Set(dependsOn(service))].filter((dep) => inTrain.has(dep) && dep !== service)
  }
  const cycle = findCycle(unique, dependencies)
  if (cycle !== undefined) {
    throw new UsageError(`the services in this deploy depend on each other in a cycle: ${cycle.join(' -> ')}`, {
      hint: 'deploy them in separate commands, or fix dependencies.services in their descriptors',
    })
  }

  const waves: string[][] = []
  const done = new Set<string>()
  let pending = unique
  while (pending.length > 0) {
    const ready = pending.filter((service) => dependencies[service].every((dep) => done.has(dep)))
    const wave = ready.slice(0, concurrency)
    waves.push(wave)
    for (const service of wave) done.add(service)
    pending = pending.filter((service) => !done.has(service))
  }
  return {waves, dependencies}
}

function findCycle(services: string[], dependencies: Record<string, string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (service: string): string[] | undefined => {
    if (state.get(service) === 'done') return undefined
    if (state.get(service) === 'visiting') return [...stack.slice(stack.indexOf(service)), service]
    state.set(service, 'visiting')
    stack.push(service)
    for (const dep of dependencies[service]) {
      const cycle = visit(dep)
      if (cycle) return cycle
    }
    stack.pop()
    state.set(service, 'done')
    return undefined
  }
  for (const service of services) {
    const cycle = visit(service)
    if (cycle) return cycle
  }
  return undefined
}

/** How one service's rollout ended. Failed: mygate could not finish it (see its rollout status). */
export type ServiceOutcome = 'succeeded' | 'rolledBack' | 'aborted' | 'failed'

export interface ServiceResult {
  service: string
  outcome: ServiceOutcome
  /** For anything but succeeded: why (the rollback reason). */
  reason?: string
}

/**
 * The services that must not start because an in-train dependency, direct or transitive, did not
 * succeed: service -> the dependency that did not. Call it before each wave with the results so far.
 */
export function servicesToSkip(train: ReleaseTrain, results: readonly ServiceResult[]): Map<string, string> {
  const notSucceeded = new Set(results.filter((r) => r.outcome !== 'succeeded').map((r) => r.service))
  const skipped = new Map<string, string>()
  // Waves are in dependency order, so a dependency's skip is known before its dependents are seen.
  for (const service of train.waves.flat()) {
    const blocker = train.dependencies[service].find((dep) => notSucceeded.has(dep) || skipped.has(dep))
    if (blocker !== undefined) skipped.set(service, blocker)
  }
  return skipped
}

export interface TrainOutcome {
  succeeded: string[]
  rolledBack: {service: string; reason?: string}[]
  failed: {service: string; reason?: string}[]
  skipped: {service: string; because: string}[]
  /** True when every service succeeded. */
  ok: boolean
  /** The final line: "Result: 2 succeeded (api, web), 1 rolled back (billing), 1 skipped (notify: needs billing)". */
  summary: string
}

/**
 * Sums up a train. A service with no result is reported skipped, with the dependency that held it
 * back (or "not started" when none did, e.g. the train was interrupted). Aborted counts as rolled back.
 */
export function trainOutcome(train: ReleaseTrain, results: readonly ServiceResult[]): TrainOutcome {
  const byService = new Map(results.map((result) => [result.service, result]))
  const blocked = servicesToSkip(train, results)
  const outcome: TrainOutcome = {succeeded: [], rolledBack: [], failed: [], skipped: [], ok: false, summary: ''}
  for (const service of train.waves.flat()) {
    const result = byService.get(service)
    if (result === undefined) {
      const blocker = blocked.get(service)
      outcome.skipped.push({service, because: blocker === undefined ? 'not started' : `needs ${blocker}`})
    } else if (result.outcome === 'succeeded') {
      outcome.succeeded.push(service)
    } else if (result.outcome === 'failed') {
      outcome.failed.push({service, reason: result.reason})
    } else {
      outcome.rolledBack.push({service, reason: result.reason})
    }
  }
  outcome.ok = outcome.succeeded.length === train.waves.flat().length
  const parts = [
    `${outcome.succeeded.length} succeeded${outcome.succeeded.length ? ` (${outcome.succeeded.join(', ')})` : ''}`,
  ]
  if (outcome.rolledBack.length) parts.push(`${outcome.rolledBack.length} rolled back (${outcome.rolledBack.map((r) => r.service).join(', ')})`)
  if (outcome.failed.length) parts.push(`${outcome.failed.length} failed (${outcome.failed.map((r) => r.service).join(', ')})`)
  if (outcome.skipped.length) parts.push(`${outcome.skipped.length} skipped (${outcome.skipped.map((s) => `${s.service}: ${s.because}`).join(', ')})`)
  outcome.summary = `Result: ${parts.join(', ')}`
  return outcome
}
