import type {Catalog} from '../../catalog/types.js'
import type {EnvironmentRecord} from '../../env/record.js'
import {isMygateError} from '../../errors.js'
import {mygateHome} from '../../home.js'
import type {KubeApi} from '../../kube/api.js'
import {openBackupStore} from '../operations/backup-site.js'
import {type BackupTarget, resolveBackupTargets} from '../operations/backup-targets.js'
import {liveSetOf, setHosts} from '../restore/live-set.js'
import {recordBreaks, takeNewBaseAfterBreak} from './new-base-after-break.js'

/** What of a failover run this needs (src/failover/run-state.ts's FailoverRun has it). */
export interface ForcedFailoverRun {
  id: string
  startedAt: string
  steps: ReadonlyArray<{kind: string; startedAt?: string}>
}

/** What the forced failover's record step reports: a line for its detail, and what is left to do. */
export interface AfterForcedFailover {
  detail: string
  /**
   * One per database whose new base backup could not be taken: the break is recorded, but
   * nothing after it can be restored until a base is taken (the line names the command).
   */
  warnings: string[]
}

/**
 * The forced failover's last step calls this: every backed-up database's timeline broke when the
 * survivors were forced into a new config (the writes the lost region took but never replicated
 * are not in the new timeline), so the break is recorded, at the first forced reconfiguration's
 * start (the run's start if none ran), and a new base backup of each database is taken in the
 * region that took over. Reads first: a resumed failover finds the break and the base and takes
 * no second one.
 *
 * The failover itself has succeeded by then (traffic and primaries are in the new region), so a
 * base that cannot be taken is a warning, never a failed failover. Every break is recorded before
 * any base is attempted, and one database's failed dump does not stop the others'.
 */
export async function takeNewBasesAfterForcedFailover(input: {
  record: EnvironmentRecord
  /** The region that took over (now the active one). */
  client: KubeApi
  catalog: Catalog
  run: ForcedFailoverRun
  home?: string
  onProgress?: (message: string) => void
  /** Longest wait for each dump Job (default create-backup.ts's). */
  jobTimeoutMs?: number
}): Promise<AfterForcedFailover> {
  const {record} = input
  const targets = resolveBackupTargets(input.catalog)
  if (targets.length === 0) return {detail: 'no database is backed up: no timeline to mark', warnings: []}
  const forced = input.run.steps.filter((s) => s.kind === 'force-primary' && s.startedAt).map((s) => s.startedAt as string).sort()[0]
  const region = record.activeRegion
  const store = await openBackupStore({record}, region, input.home ?? mygateHome())
  const site = {client: input.client, region, store, locate: (key: string) => ({provider: 'local' as const, bucket: store.bucket, key})}
  const sets = new Map<string, string>()
  for (const target of targets) sets.set(target.database, await liveSetOf(input.client, target.service, target.database))
  const databaseOfSet = new Map([...sets].map(([database, set]) => [set, database]))
  const common = {
    environment: record.name,
    site,
    reason: 'forced-failover' as const,
    runId: input.run.id,
    at: new Date(forced ?? input.run.startedAt),
    setOf: (database: string) => sets.get(database) ?? database,
    hostsOf: (set: string) => setHosts(input.catalog, record.spec, databaseOfSet.get(set) ?? set, set),
    detail: () => `the databases' primaries were forced in ${region}`,
    ...(input.jobTimeoutMs ? {jobTimeoutMs: input.jobTimeoutMs} : {}),
    ...(input.onProgress ? {onPhase: (phase: string, detail: string) => input.onProgress?.(`[${phase}] ${detail}`)} : {}),
  }
  const breaks = await recordBreaks({...common, targets})
  let taken = 0
  let already = 0
  const warnings: string[] = []
  for (const target of targets) {
    try {
      const [base] = await takeNewBaseAfterBreak({...common, targets: [target]})
      if (base.taken) taken++
      else already++
    } catch (error) {
      if (!isMygateError(error)) throw error
      warnings.push(missingBaseWarning(record.name, target, breaks.get(target.database)?.at ?? common.at.toISOString(), error.message))
    }
  }
  const parts = [`timeline break marked for ${targets.length} database(s); ${taken} new base backup(s) taken in ${region}`]
  if (already > 0) parts.push(`${already} already there`)
  if (warnings.length > 0) parts.push(`${warnings.length} could not be taken (see the warnings)`)
  return {detail: parts.join(', '), warnings}
}

/** The warning for a database left without a base after its break: what, why, and the command that fixes it. */
export function missingBaseWarning(environment: string, target: Pick<BackupTarget, 'service' | 'database'>, breakAt: string, cause: string): string {
  return `${target.database} has no base backup after the forced failover's timeline break at ${breakAt} (${cause}): nothing after the break can be restored until one is taken; run \`mygate backup create --env ${environment} --service ${target.service}\``
}
