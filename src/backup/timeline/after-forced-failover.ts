import type {Catalog} from '../../catalog/types.js'
import type {EnvironmentRecord} from '../../env/record.js'
import {isMygateError} from '../../errors.js'
import {mygateHome} from '../../home.js'
import type {KubeApi} from '../../kube/api.js'
import {openBackupStore} from '../operations/backup-site.js'
import {resolveBackupTargets} from '../operations/backup-targets.js'
import {liveSetOf, setHosts} from '../restore/live-set.js'
import {takeNewBaseAfterBreak} from './new-base-after-break.js'

/** What of a failover run this needs (src/failover/run-state.ts's FailoverRun has it). */
export interface ForcedFailoverRun {
  id: string
  startedAt: string
  steps: ReadonlyArray<{kind: string; startedAt?: string}>
}

/**
 * The forced failover's last step calls this: every backed-up database's timeline broke when the
 * survivors were forced into a new config (the writes the lost region took but never replicated
 * are not in the new timeline), so the break is recorded, at the first forced reconfiguration's
 * start (the run's start if none ran), and a new base backup of each database is taken in the
 * region that took over. Reads first: a resumed failover finds the break and the base and takes
 * no second one. Returns one line for the step's detail.
 */
export async function takeNewBasesAfterForcedFailover(input: {
  record: EnvironmentRecord
  /** The region that took over (now the active one). */
  client: KubeApi
  catalog: Catalog
  run: ForcedFailoverRun
  home?: string
  onProgress?: (message: string) => void
}): Promise<string> {
  const {record} = input
  const targets = resolveBackupTargets(input.catalog)
  if (targets.length === 0) return 'no database is backed up: no timeline to mark'
  const forced = input.run.steps.filter((s) => s.kind === 'force-primary' && s.startedAt).map((s) => s.startedAt as string).sort()[0]
  const region = record.activeRegion
  const store = await openBackupStore({record}, region, input.home ?? mygateHome())
  const site = {client: input.client, region, store, locate: (key: string) => ({provider: 'local' as const, bucket: store.bucket, key})}
  const sets = new Map<string, string>()
  for (const target of targets) sets.set(target.database, await liveSetOf(input.client, target.service, target.database))
  const databaseOfSet = new Map([...sets].map(([database, set]) => [set, database]))
  let bases
  try {
    bases = await takeNewBaseAfterBreak({
    environment: record.name,
    site,
    targets,
    reason: 'forced-failover',
    runId: input.run.id,
    at: new Date(forced ?? input.run.startedAt),
    setOf: (database) => sets.get(database) ?? database,
    hostsOf: (set) => setHosts(input.catalog, record.spec, databaseOfSet.get(set) ?? set, set),
    detail: () => `the databases' primaries were forced in ${region}`,
    ...(input.onProgress ? {onPhase: (phase: string, detail: string) => input.onProgress?.(`[${phase}] ${detail}`)} : {}),
    })
  } catch (error) {
    // The failover itself succeeded (traffic and primaries are in the new region): a backup that
    // could not be taken is reported, not turned into a failed failover. The break is recorded
    // first, so `backup status` and `--to-time` know of it until a base is taken.
    if (!isMygateError(error)) throw error
    return `timeline break marked, but no new base backup: ${error.message} (take one with \`mygate backup create --env ${record.name}\`)`
  }
  const taken = bases.filter((b) => b.taken).length
  return `timeline break marked for ${bases.length} database(s); ${taken} new base backup(s) taken in ${region}${taken < bases.length ? `, ${bases.length - taken} already there` : ''}`
}
