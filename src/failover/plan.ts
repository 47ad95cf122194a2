import {dependencyOrder} from '../catalog/dependency-order.js'
import type {Catalog} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {UsageError, oneOf} from '../errors.js'
import {CHECK_NAMES, type CheckName} from './checks.js'

/**
 * A failover as data (issue 11 "Plan first"): the ordered steps, each with its target, and the
 * readiness checks that gate it. Pure: `failover --dry-run` prints it, the executor walks it, the
 * state store records progress against its step ids, and tests assert on it without a server.
 *
 * Planned switchover (both regions answer), in the issue's order:
 *   scale-target -> move-primary (each database, dependency order) -> redis -> switch-traffic
 *   -> verify-gateway -> scale-source -> record-active
 * Forced failover (the source is gone): the source is fenced FIRST, so it cannot come back as a
 * second primary; only then are the survivors forced into a new config:
 *   fence-source -> scale-target -> force-primary (each database) -> redis -> switch-traffic
 *   -> verify-gateway -> record-active
 *
 * The database steps form one parallel group: each replica set elects on its own and no database
 * waits for another (the dependency order binds services, and every app step still comes after
 * all of them: data before apps), so they run at the same time and the group takes as long as
 * its slowest move instead of their sum. They stay separate steps, listed in dependency order,
 * so progress, resume and the measures remain per database.
 *
 * Worked example (regions a -> b, databases auth-db and billing-db, billing depends on auth):
 *   planned: scale-target(b), [move-primary:auth-db(b), move-primary:billing-db(b)], redis(b),
 *            switch-traffic(b), verify-gateway(b), scale-source(a), record-active(b)
 *
 * Active-active (drMode active-active): both regions already serve at full scale through weighted
 * DNS, so there is no scale-up of the target and no shrinking of the source. The target step is
 * reopen-target instead (a fence an earlier forced failover left there is lifted and the full
 * scale re-applied; otherwise nothing), and switch-traffic takes the source out of the weighted
 * records (weight 0). The plan's notes say so (`--dry-run` prints them):
 *   planned: reopen-target(b), [move-primary:auth-db(b), move-primary:billing-db(b)], redis(b),
 *            switch-traffic(b), verify-gateway(b), record-active(b)
 *
 * Automatic (`failover watch`, automatic-plan.ts): MongoDB already elected in the survivors.
 */

export type FailoverMode = 'planned' | 'forced' | 'automatic'

export type StepKind =
  | 'fence-source'
  | 'scale-target'
  | 'move-primary'
  | 'force-primary'
  | 'confirm-primary'
  | 'reopen-target'
  | 'redis'
  | 'switch-traffic'
  | 'verify-gateway'
  | 'scale-source'
  | 'record-active'

export interface FailoverStep {
  /** Unique within the plan and stable across runs: the state store keys progress by it. */
  id: string
  kind: StepKind
  /** The region the step acts on. */
  region: string
  /** The database or service the step acts on, when it acts on one. */
  target?: string
  title: string
  /**
   * Consecutive steps with the same group run at the same time; the group keeps its place in
   * the order (the next step starts when every step of the group is done).
   */
  group?: string
}

/** The group of the database steps. */
export const DATABASES_GROUP = 'databases'

/**
 * The plan's steps as the executor runs them: consecutive steps of one group together, every
 * other step alone, in order.
 *   [a, b(g), c(g), d] -> [[a], [b, c], [d]]
 */
export function stepBatches<T extends {group?: string}>(steps: readonly T[]): T[][] {
  const batches: T[][] = []
  for (const step of steps) {
    const last = batches.at(-1)
    if (last && step.group !== undefined && last[0].group === step.group) last.push(step)
    else batches.push([step])
  }
  return batches
}

export interface FailoverPlan {
  environment: string
  mode: FailoverMode
  from: string
  to: string
  steps: FailoverStep[]
  /** The readiness checks that run before the first step, in order. */
  checks: CheckName[]
  /** Checks the user skipped with --override (after typed confirmation). */
  overrides: CheckName[]
  /** What differs from the usual plan and why (active-active: no scale steps, weighted DNS). */
  notes?: string[]
}

export interface PlanFailoverInput {
  spec: Pick<EnvironmentSpec, 'name' | 'regions'> & Partial<Pick<EnvironmentSpec, 'drMode'>>
  activeRegion: string
  catalog: Catalog
  /** A person's failover; the watch's automatic one is planned by watch/automatic-plan.ts. */
  mode: Exclude<FailoverMode, 'automatic'>
  /** --to; default: the region that is not active. */
  to?: string
  /** --override CHECK ...; each must name a known check. */
  overrides?: string[]
}

/** The regions of an environment, primary first. */
export function regionsOf(spec: Pick<EnvironmentSpec, 'regions'>): string[] {
  return [spec.regions.primary, ...(spec.regions.secondary === undefined ? [] : [spec.regions.secondary])]
}

/**
 * The target region, or the bad-input error: an environment with one region, `--to` a region the
 * environment lacks, `--to` the region that is already active.
 */
export function chooseTarget(spec: Pick<EnvironmentSpec, 'name' | 'regions'>, activeRegion: string, to: string | undefined): string {
  const regions = regionsOf(spec)
  if (regions.length < 2) {
    throw new UsageError(`environment "${spec.name}" has no secondary region: there is nowhere to fail over to`, {
      hint: `add one with \`mygate env create ${spec.name} --secondary-region REGION\``,
    })
  }
  if (to !== undefined && !regions.includes(to)) {
    throw new UsageError(`--to "${to}" is not a region of environment "${spec.name}"`, {hint: `use ${oneOf(regions)}`})
  }
  if (to !== undefined && to === activeRegion) {
    throw new UsageError(`--to "${to}" is already the active region of "${spec.name}"`, {
      hint: `fail over to ${regions.find((r) => r !== activeRegion)}, or leave --to out`,
    })
  }
  return to ?? (regions.find((r) => r !== activeRegion) as string)
}

/** `--override` values, checked against the known checks (an unknown one is bad input). */
export function parseOverrides(values: readonly string[] | undefined): CheckName[] {
  const known: readonly string[] = CHECK_NAMES
  const result: CheckName[] = []
  for (const value of values ?? []) {
    if (!known.includes(value)) throw new UsageError(`--override "${value}" is not a readiness check`, {hint: `use ${oneOf(CHECK_NAMES)}`})
    if (!result.includes(value as CheckName)) result.push(value as CheckName)
  }
  return result
}

/**
 * The databases whose primaries move, in dependency order of the services that own them (data
 * before apps: a database comes before the databases of services that depend on its owner).
 * Databases no app owns come last, by name.
 */
export function databaseOrder(catalog: Catalog): string[] {
  const databases = new Set(catalog.services.filter((s) => s.kind === 'mongodb').map((s) => s.name))
  const ordered: string[] = []
  for (const service of dependencyOrder(catalog)) {
    const owned = service.kind === 'app' ? service.dependencies.database : undefined
    if (owned !== undefined && databases.has(owned) && !ordered.includes(owned)) ordered.push(owned)
  }
  return [...ordered, ...[...databases].filter((name) => !ordered.includes(name)).sort()]
}

export function planFailover(input: PlanFailoverInput): FailoverPlan {
  const from = input.activeRegion
  const to = chooseTarget(input.spec, from, input.to)
  const overrides = parseOverrides(input.overrides)
  const databases = databaseOrder(input.catalog)
  const redis = input.catalog.services.filter((s) => s.kind === 'redis').map((s) => s.name)
  const steps: FailoverStep[] = []
  const add = (kind: StepKind, region: string, title: string, target?: string, group?: string) =>
    steps.push({id: target === undefined ? kind : `${kind}:${target}`, kind, region, title, ...(target === undefined ? {} : {target}), ...(group === undefined ? {} : {group})})

  const activeActive = input.spec.drMode === 'active-active'
  if (input.mode === 'forced') add('fence-source', from, `fence ${from}: writers to zero, deny-all NetworkPolicy (pending until it answers)`)
  if (activeActive) add('reopen-target', to, `${to} already serves at full scale: lift a fence an earlier forced failover left, if any`)
  else add('scale-target', to, `scale ${to} to full: apps at the recorded versions, HPA bounds`)
  for (const db of databases) {
    if (input.mode === 'planned') add('move-primary', to, `${db}: move the PRIMARY to ${to} (raise ${to} priorities, let MongoDB elect)`, db, DATABASES_GROUP)
    else add('force-primary', to, `${db}: force-reconfigure the ${to} members (fenced ${from} left out)`, db, DATABASES_GROUP)
  }
  // Redis is data too: its replica in the target is promoted with the databases, before any app step.
  for (const name of redis) add('redis', to, `${name}: ready in ${to}, its replica promoted (REPLICAOF NO ONE)`, name, DATABASES_GROUP)
  add('switch-traffic', to, activeActive ? `weighted DNS: ${to} serves, ${from} out of the records (weight 0)` : `switch traffic to ${to}`)
  add('verify-gateway', to, `verify the gateway serves in ${to}`)
  if (input.mode === 'planned' && !activeActive) add('scale-source', from, `scale ${from} to standby`)
  add('record-active', to, `record ${to} as the active region`)

  const notes = activeActive ? [ACTIVE_ACTIVE_NOTE] : []
  return {environment: input.spec.name, mode: input.mode, from, to, steps, checks: [...CHECK_NAMES], overrides, ...(notes.length > 0 ? {notes} : {})}
}

/** Why an active-active plan has no scale steps (the plan's notes; `--dry-run` prints it). */
export const ACTIVE_ACTIVE_NOTE =
  'active-active: both regions already serve at full scale through weighted DNS, so there is no scale-up of the target and no standby scale for the source; the source only leaves the weighted records (weight 0)'

/** Lines for `--dry-run` in a terminal. */
export function planLines(plan: FailoverPlan): string[] {
  const title = {planned: 'Planned switchover', forced: 'Forced failover', automatic: 'Automatic failover'}[plan.mode]
  const lines = [`${title} of ${plan.environment}: ${plan.from} -> ${plan.to}`]
  lines.push(`  checks: ${plan.checks.map((c) => (plan.overrides.includes(c) ? `${c} (overridden)` : c)).join(', ')}`)
  for (const note of plan.notes ?? []) lines.push(`  note: ${note}`)
  plan.steps.forEach((step, i) => lines.push(`  ${i + 1}. ${step.title}${step.group === undefined ? '' : ` (with the other ${step.group} steps, at once)`}`))
  return lines
}
