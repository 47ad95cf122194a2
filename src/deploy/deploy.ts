import type {Catalog} from '../catalog/types.js'
import {BookkeepingError, ExternalError, OperationFailedError, TimeoutError} from '../errors.js'
import {isProductionTier} from '../guards/confirmation-rule.js'
import {checkWorkingTree} from '../guards/working-tree.js'
import {confirmOperation, type AskTyped} from '../ui/confirm.js'
import type {Progress} from '../ui/progress.js'
import {rolloutPhase} from '../strategies/rollout-progress.js'
import {describeStep} from '../rollout/plan.js'
import {planReleaseTrain, servicesToSkip, trainOutcome, type ServiceResult, type TrainOutcome} from '../rollout/release-train.js'
import {parseDeployFlags, type DeployFlags} from './deploy-input.js'
import {openEnvironment} from './open-environment.js'
import {deployDatabase, type DatabaseDeployRequest, type DatabaseDeployResult} from './deploy-database.js'
import {readGitInfo, type GitInfo} from '../audit/git-info.js'
import {prepareService, runService, type PreparedService, type ServiceDeployResult} from '../strategies/run-service.js'

/**
 * `mygate deploy`: validate everything, check every service (nothing changes until all pass),
 * guard production, then run the release train: waves in dependency order, at most `concurrency`
 * rollouts at once, each rolling back on its own; dependents of a service that did not succeed
 * are skipped, never started.
 */

export interface DeployOptions extends DeployFlags {
  environment: string
  catalog: Catalog
  wait: boolean
  dryRun: boolean
  /** Prod: an approval given on the command line (CI). */
  approve: boolean
  allowDirty: boolean
  /** `--yes`: no questions (it never approves production: see src/guards/confirmation-rule.ts). */
  yes: boolean
  /** A person at a terminal who can type the confirmation (a TTY, not CI, not --json). */
  terminal: boolean
  /** Asks for the environment's name to be typed (default: the inquirer prompt). */
  ask?: AskTyped
  /** Working tree whose git state is recorded (and checked in prod). */
  cwd: string
  /** Progress (stderr): one phase per service, one step per rollout step; the Result line on failure. */
  progress: Progress
}

export interface DeployResult {
  environment: string
  /** MongoDB services upgraded by role (`mygate deploy billing-db --version 7.0.14`); absent for app deploys. */
  databases?: DatabaseDeployResult[]
  tier: string
  dryRun: boolean
  /** Service -> its planned steps (dry run) */
  plan: Array<{service: string; strategy: string; from?: string; to: string; image: string; steps: string[]}>
  waves: string[][]
  services: ServiceDeployResult[]
  skipped: Array<{service: string; because: string}>
  git?: GitInfo
  /** The final "Result: ..." line. */
  summary: string
  ok: boolean
}

export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const request = parseDeployFlags(options, options.catalog)
  if (request.databases.length > 0) return deployDatabases(options, request.databases, request.readyTimeoutMs)
  const train = planReleaseTrain({
    services: request.services.map((s) => s.descriptor.name),
    dependsOn: (name) => options.catalog.byName(name)?.dependencies.services ?? [],
    concurrency: request.concurrency,
  })
  const {context: env, connection} = await openEnvironment(options.environment)
  try {
    const tier = connection.record.spec.tier
    const prepared = new Map<string, PreparedService>()
    for (const service of request.services) prepared.set(service.descriptor.name, await prepareService(env, service))
    const {git, gitError} = await readGitState(options.cwd)
    const plan = [...prepared.values()].map((p) => ({
      service: p.request.descriptor.name,
      strategy: p.request.strategy,
      from: p.fromVersion,
      to: p.request.version,
      image: p.image,
      steps: p.request.plan.map(describeStep),
    }))
    const base = {environment: env.name, tier, plan, waves: train.waves, git}
    if (options.dryRun) {
      return {...base, dryRun: true, services: [], skipped: [], summary: `Dry run: ${plan.length} service(s) would be deployed; nothing was changed.`, ok: true}
    }
    await guardDeploy(options, env.name, tier, git, gitError)

    const results: ServiceDeployResult[] = []
    const trainResults: ServiceResult[] = []
    // Rollouts that ended as reported but whose records could not be written (exit 8, see below).
    const unrecorded: BookkeepingError[] = []
    const several = train.waves.flat().length > 1
    for (const wave of train.waves) {
      const blocked = servicesToSkip(train, trainResults)
      const runnable = wave.filter((service) => !blocked.has(service))
      // One block per wave: its services' rollouts run at once, each a phase with its steps.
      const block = options.progress.block(
        runnable.map((service) => {
          const p = prepared.get(service) as PreparedService
          const heading = {service, strategy: p.request.strategy, fromVersion: p.fromVersion, toVersion: p.request.version, image: p.image, plan: p.request.plan}
          return rolloutPhase(heading, several ? `[${service}] ` : undefined)
        }),
        {concurrent: true},
      )
      let settled: Array<PromiseSettledResult<ServiceDeployResult>>
      try {
        settled = await Promise.allSettled(
          runnable.map((service, i) =>
            runService({
              env,
              prepared: prepared.get(service) as PreparedService,
              readyTimeoutMs: request.readyTimeoutMs,
              wait: options.wait,
              git,
              progress: block.phases[i],
            }),
          ),
        )
        settled = settled.map((outcome): PromiseSettledResult<ServiceDeployResult> => {
          // The rollout ended; only its records are missing: it counts with its outcome.
          if (outcome.status === 'fulfilled' || !(outcome.reason instanceof BookkeepingError)) return outcome
          const result = bookkeptResult(outcome.reason)
          if (result === undefined) return outcome
          unrecorded.push(outcome.reason)
          return {status: 'fulfilled', value: result}
        })
        settled.forEach((outcome, i) => {
          if (outcome.status === 'rejected') block.phases[i].end('failed', outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason))
        })
      } finally {
        await block.close()
      }
      settled.forEach((outcome, i) => {
        const service = runnable[i]
        if (outcome.status === 'fulfilled') {
          results.push(outcome.value)
          const o = outcome.value.outcome
          trainResults.push({service, outcome: o === 'paused' ? 'succeeded' : o, reason: outcome.value.rollback?.reason ?? (o === 'failed' ? outcome.value.message : undefined)})
        } else if (!several) {
          throw outcome.reason
        } else {
          const reason = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason)
          trainResults.push({service, outcome: 'failed', reason})
        }
      })
    }
    const summary: TrainOutcome = trainOutcome(train, trainResults)
    const result: DeployResult = {...base, dryRun: false, services: results, skipped: summary.skipped, summary: summaryLine(results, summary), ok: summary.ok}
    try {
      failIfNotOk(result, trainResults, options.wait)
      // A failed deploy outranks its missing records; a successful one must not read as failed.
      if (unrecorded.length > 0) throw unrecordedError(unrecorded, result)
    } catch (error) {
      // On success present() prints the verdict on stdout; on failure it goes to stderr before the error line.
      options.progress.result(result.summary)
      throw error
    }
    return result
  } finally {
    connection.close()
  }
}

/** The by-role plan of a database upgrade, one line per phase (`--dry-run` prints it). */
const DATABASE_STEPS = [
  'template the new image in every region (updateStrategy OnDelete: nothing restarts by itself)',
  'restart each secondary in turn; wait for it to be SECONDARY and caught up',
  'step the primary down, wait for a new primary, restart it last',
]

/**
 * `mygate deploy billing-db --version 7.0.14`: the same guards as an app deploy (production
 * approval, clean working tree), then each database upgraded by role, one after another.
 */
async function deployDatabases(options: DeployOptions, requests: DatabaseDeployRequest[], timeoutMs: number): Promise<DeployResult> {
  const {connectEnvironment} = await import('../env/connect.js')
  const connection = await connectEnvironment(options.environment)
  try {
    const {record, clients} = connection
    const tier = record.spec.tier
    const {git, gitError} = await readGitState(options.cwd)
    const plan = requests.map((r) => ({service: r.descriptor.name, strategy: 'by-role', from: record.versions[r.descriptor.name], to: r.version, image: r.image, steps: DATABASE_STEPS}))
    const base = {environment: record.name, tier, plan, waves: requests.map((r) => [r.descriptor.name]), git}
    if (options.dryRun) {
      return {...base, dryRun: true, services: [], databases: [], skipped: [], summary: `Dry run: ${plan.length} database(s) would be upgraded by role; nothing was changed.`, ok: true}
    }
    await guardDeploy(options, record.name, tier, git, gitError)
    const databases: DatabaseDeployResult[] = []
    for (const request of requests) {
      const onProgress = (line: string) => options.progress.note(line)
      databases.push(await deployDatabase({record, clients, request, timeoutMs, onProgress}))
    }
    const summary =
      databases.length === 1
        ? `Result: SUCCESS — ${databases[0].service} ${databases[0].image} by role: ${databases[0].message}`
        : `Result: SUCCESS — ${databases.length} databases upgraded by role (${databases.map((d) => d.service).join(', ')})`
    return {...base, dryRun: false, services: [], databases, skipped: [], summary, ok: true}
  } finally {
    connection.close()
  }
}

/** The result a BookkeepingError carries (the rollout's, from driveRollout), if it is one. */
function bookkeptResult(error: unknown): ServiceDeployResult | undefined {
  return error instanceof BookkeepingError ? (error.details?.result as ServiceDeployResult | undefined) : undefined
}

/** One line for every rollout whose records are missing, with the first one's hint. */
function unrecordedError(errors: BookkeepingError[], result: DeployResult): BookkeepingError {
  if (errors.length === 1) return new BookkeepingError(errors[0].message, {hint: errors[0].hint, details: {...errors[0].details, result}})
  return new BookkeepingError(errors.map((e) => e.message).join('; '), {hint: errors[0].hint, details: {result, unwritten: errors.map((e) => e.details?.unwritten)}})
}

function summaryLine(results: ServiceDeployResult[], train: TrainOutcome): string {
  if (results.length === 1 && train.skipped.length === 0) {
    const r = results[0]
    switch (r.outcome) {
      case 'succeeded':
        return `Result: SUCCESS — ${r.service} ${r.to} is live (${r.strategy}, ${r.from ?? '(none)'} -> ${r.to})`
      case 'paused':
        return `Result: PAUSED — ${r.service} at step ${r.currentStep + 1}/${r.steps.length}, ${r.weight}% on ${r.to}: ${r.message}`
      case 'rolledBack':
      case 'aborted':
        return `Result: ROLLED BACK — ${r.service} ${r.from ?? '(none)'} serves all traffic; ${r.rollback?.reason ?? r.message}`
      case 'failed':
        return `Result: FAILED — ${r.service}: ${r.message}`
    }
  }
  const paused = results.filter((r) => r.outcome === 'paused').map((r) => r.service)
  return paused.length > 0 ? `${train.summary} (${paused.join(', ')} paused, not finished)` : train.summary
}

/**
 * Exit status: a rollback, abort, failure or skipped service is OperationFailedError (exit 7; a
 * readiness time-out is TimeoutError, exit 5). A rollout that waited for a person (promote or
 * resume) until --timeout without one is TimeoutError; the rollout itself stays paused.
 */
function failIfNotOk(result: DeployResult, trainResults: ServiceResult[], waited: boolean): void {
  const bad = result.services.filter((r) => r.outcome === 'rolledBack' || r.outcome === 'aborted' || r.outcome === 'failed')
  const crashed = trainResults.filter((r) => r.outcome === 'failed' && !result.services.some((s) => s.service === r.service))
  if (bad.length === 0 && crashed.length === 0 && result.skipped.length === 0) {
    const stuck = waited ? result.services.filter((r) => r.stoppedBecause === 'waitingForPromotion' || r.stoppedBecause === 'waitingForResume') : []
    if (stuck.length === 0) return
    throw new TimeoutError(`gave up waiting: ${stuck.map((r) => `${r.service}: ${r.message}`).join('; ')}`, {details: {result}})
  }
  const reasons = [
    ...bad.map((r) => `${r.service}: ${r.rollback?.reason ?? r.message}`),
    ...crashed.map((r) => `${r.service}: ${r.reason ?? 'failed'}`),
    ...result.skipped.map((s) => `${s.service}: skipped (${s.because})`),
  ]
  const timedOut = bad.length > 0 && bad.every((r) => /not ready after/.test(r.rollback?.reason ?? ''))
  const single = result.services.length === 1 && result.skipped.length === 0 && crashed.length === 0
  const message = single ? `${bad[0].service} ${bad[0].outcome === 'failed' ? 'failed' : 'rolled back'}: ${reasons[0].slice(bad[0].service.length + 2)}` : `${result.summary.replace(/^Result: /, '')}: ${reasons.join('; ')}`
  const details = {result}
  throw timedOut
    ? new TimeoutError(message, {details, hint: 'raise --timeout if the pods are just slow to start'})
    : new OperationFailedError(message, {details, hint: bad[0] ? `see \`mygate rollout status ${bad[0].service} --env ${result.environment}\`` : undefined})
}

/** The git state, or why git could not read it (which only production deploys refuse). */
async function readGitState(cwd: string): Promise<{git?: GitInfo; gitError?: ExternalError}> {
  try {
    return {git: await readGitInfo(cwd)}
  } catch (error) {
    if (!(error instanceof ExternalError)) throw error
    return {gitError: error}
  }
}

/**
 * Before anything changes: the working-tree guard, then the confirmation rule (production needs
 * the name typed in a terminal, or --approve without one; other tiers go ahead).
 */
async function guardDeploy(options: DeployOptions, environment: string, tier: string | undefined, git: GitInfo | undefined, gitError: ExternalError | undefined): Promise<void> {
  const action = `deploy to ${tier ?? 'unknown-tier'} environment ${environment}`
  const production = isProductionTier(tier)
  const refused = checkWorkingTree({action, cwd: options.cwd, production, allowDirty: options.allowDirty, git, gitError})
  if (refused) throw refused
  // Only reached outside production, or with --allow-dirty: say what the audit entry will lack.
  if (gitError) options.progress.note(`warning: ${gitError.message}; the deploy is recorded without its git state`)
  await confirmOperation(
    {environment, tier, destructive: false, action, doing: `deploying to ${tier ?? 'unknown-tier'} environment ${environment}`, terminal: options.terminal, yes: options.yes === true, approve: options.approve === true},
    options.ask,
  )
}
