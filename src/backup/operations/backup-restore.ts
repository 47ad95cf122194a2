import {holderIdentity} from '../../audit/identity.js'
import type {ContentHashes} from '../../formats/content-hash/content-hash.js'
import {expectedStateAtPointInTime} from '../pitr/point-in-time-expectation.js'
import type {Catalog} from '../../catalog/types.js'
import {replicaSetTopology} from '../../db/topology.js'
import type {EnvironmentConnection} from '../../env/connect.js'
import {NotFoundError, UsageError} from '../../errors.js'
import {decideConfirmation} from '../../guards/confirmation-rule.js'
import type {KubeApi} from '../../kube/api.js'
import {acquireEnvironmentLock} from '../../locks/environment-lock.js'
import {type AskTyped, confirmOperation} from '../../ui/confirm.js'
import {listCatalog} from '../catalog/catalog-store.js'
import {abandonRestoreRun, executeRestoreRun, type RestoreContext, undoRestoreRun} from '../restore/execute-restore.js'
import {chooseRestoreSource, type RestoreSource} from '../restore/restore-source.js'
import {decideAbandon, decideRerun, decideUndo, NO_SWITCH_STEPS, refuseSwitchAcrossRegions, RESTORE_STEPS, type RestoreRequest, type RestoreRun, type RestoreStepKind, startRestoreRun} from '../restore/restore-run.js'
import {setServiceReads} from '../restore/live-set.js'
import {breakHooks} from '../restore/break-hooks.js'
import {readRestoreRun} from '../restore/restore-store.js'
import {credentialsSecretName} from '../restore/restored-set.js'
import {restoreIntoSetDriver, type RestoredSetDriver} from '../restore/set-driver.js'
import {activeBackupSite, connectBackupEnvironment} from './backup-site.js'
import {grantReadOfOtherSite, type RestoreGrant} from '../restore/cross-env-grant.js'
import {noBackupThere, openOtherSiteStore, otherSiteFor, refuseSameEnvironment} from '../restore/cross-env-source.js'
import {catalogueScheduledRuns} from '../schedule/catalogue-scheduled.js'
import {type BackupTarget, resolveBackupTargets} from './backup-targets.js'
import type {BackupSite} from './create-backup.js'

/**
 * `mygate backup restore --env E --service S [ID | --to-time T] [--no-switch] [--undo] [--abandon]
 * [--dry-run] [--confirm NAME]`: bad input refused before any cluster is contacted, then the
 * catalog read (the source chosen), the confirmation rule checked up front when it can only
 * refuse (no terminal), the environment lock taken, the service's stored run read, and the run
 * started, resumed, abandoned or undone (restore-run.ts decides, execute-restore.ts acts).
 */

export interface BackupRestoreOptions {
  env: string
  services: string[]
  /** A backup id (the positional argument). */
  id?: string
  toTime?: string
  noSwitch?: boolean
  undo?: boolean
  abandon?: boolean
  dryRun?: boolean
  confirm?: string
  /** Someone can be asked (terminal, not CI, not --json). */
  terminal: boolean
  ask?: AskTyped
  catalog: Catalog
  home?: string
  now?: () => Date
  /** Deadline of the restore (provision, Job, measure) and of each wait for pods. */
  timeoutMs?: number
  onStep?: (service: string, kind: RestoreStepKind, state: 'start' | 'done', detail?: string) => void
  onProgress?: (message: string) => void
  /**
   * `--from-env OLD`: restore from another environment's backup site (usually destroyed: its
   * buckets outlive it). The database users are reset to this environment's own credentials.
   */
  fromEnv?: string
  /** Tests inject a driver; by default restore-into-set in the active region. */
  driverFor?: (input: {site: BackupSite; connection: EnvironmentConnection; target: BackupTarget}) => RestoredSetDriver
}

export type RestoreAction = 'restore' | 'undo' | 'abandon'

export interface RestoreSummary {
  service: string
  database: string
  runId: string
  backupId: string
  oplogLimit?: string
  lastAppliedOp?: string
  /** The set restored into; with --no-switch, where to read the restored data. */
  restoredSet: string
  /** Its members and credentials Secret (names only: no secret value is ever printed). */
  connection?: {hosts: string[]; credentialsSecret: string; namespace: string}
  previousSet: string
  /** What the service reads after the command. */
  serviceReads: string
  resumed: boolean
  outcome: RestoreRun['outcome'] | 'abandoned' | 'planned'
  steps: Array<{kind: RestoreStepKind; status: string; detail?: string}>
  proven?: {collections: number; documents: number}
  keepPreviousUntil?: string
  writesSinceSwitch?: number
  removedSet?: boolean
}

export interface BackupRestoreResult {
  environment: string
  action: RestoreAction
  dryRun: boolean
  /** `--from-env`: the environment whose backup was restored. */
  fromEnvironment?: string
  restores: RestoreSummary[]
}

function actionOf(options: BackupRestoreOptions): RestoreAction {
  if (options.undo && options.abandon) throw new UsageError('--undo and --abandon do not go together', {hint: '--abandon removes an unfinished restore; --undo switches back after a finished one'})
  const named = options.id !== undefined ? `backup ${options.id}` : options.toTime !== undefined ? `--to-time ${options.toTime}` : options.noSwitch ? '--no-switch' : undefined
  for (const flag of ['undo', 'abandon'] as const) {
    if (options[flag] && options.fromEnv !== undefined) throw new UsageError(`--${flag} acts on the stored restore of the service; --from-env ${options.fromEnv} does not go with it`, {hint: `run \`mygate backup restore --env ${options.env} --service S --${flag}\``})
    if (options[flag] && named) throw new UsageError(`--${flag} acts on the stored restore of the service; ${named} does not go with it`, {hint: `run \`mygate backup restore --env ${options.env} --service S --${flag}\``})
  }
  return options.undo ? 'undo' : options.abandon ? 'abandon' : 'restore'
}

export async function backupRestore(options: BackupRestoreOptions): Promise<BackupRestoreResult> {
  const action = actionOf(options)
  if (options.services.length === 0) throw new UsageError('name the service to restore with --service', {hint: 'e.g. --service visitors'})
  if (options.services.length > 1 && (action !== 'restore' || options.toTime === undefined)) {
    throw new UsageError(`several --service (${options.services.join(', ')}) restore together only to one moment`, {hint: 'add --to-time T, or restore one service at a time'})
  }
  if (options.fromEnv !== undefined) refuseSameEnvironment(options.fromEnv, options.env)
  const targets = resolveBackupTargets(options.catalog, options.services)
  const now = options.now ?? (() => new Date())
  const connection = await connectBackupEnvironment(options.env, {home: options.home})
  try {
    const {record} = connection
    const switching = action === 'undo' || (action === 'restore' && !options.noSwitch)
    const confirmation = {environment: record.name, tier: record.spec.tier, destructive: false, terminal: options.terminal, yes: false, ...(options.confirm === undefined ? {} : {confirm: options.confirm})}
    const decision = decideConfirmation({...confirmation, action: `switch ${options.services.join(', ')} of ${record.name} to restored data`, doing: `a restore of ${record.name}`})
    const acrossRegions = refuseSwitchAcrossRegions({environment: record.name, provider: record.provider, secondaryRegion: record.spec.regions.secondary, switching: action === 'restore' && !options.noSwitch, services: options.services})
    if (acrossRegions) throw acrossRegions
    // Refused now, before any work, when nobody can be asked; asked after the proof otherwise.
    if (switching && decision.kind === 'refuse') throw decision.error
    const site = await activeBackupSite(connection, options.home)
    // Where the backups are read from: this environment's site, or (--from-env) OLD's, with the
    // Jobs still running here. Everything written (run state, new base, break) goes to `site`.
    const from = options.fromEnv === undefined ? site : await crossEnvironmentSite(options.fromEnv, connection, site, options.home)
    const sources = new Map<string, RestoreSource>()
    const expectations = new Map<string, ContentHashes>()
    if (action === 'restore') {
      // The newest backup may be a scheduled run not catalogued yet (a dry run only reads).
      if (!options.dryRun && from === site) await catalogueScheduledRuns(record, site.store, targets, options.home)
      for (const target of targets) {
        const catalog = await listCatalog(from.store, {service: target.service})
        if (options.fromEnv !== undefined && catalog.backups.length === 0) throw noBackupThere(options.fromEnv, target.service, from.store)
        const source = chooseRestoreSource({service: target.service, backups: catalog.backups, slices: catalog.slices, breaks: catalog.breaks, ...(options.id ? {id: options.id} : {}), ...(options.toTime ? {toTime: options.toTime} : {}), now: now()})
        sources.set(target.service, source)
        // Past the base's consistent point: what the restore must leave is computed from the
        // stored archive and slices alone (never a live count), and the proof compares with it.
        if (source.slices.length > 0 && source.oplogLimit) {
          const plan = {base: source.base, slices: source.slices, oplogLimit: source.oplogLimit, lastAppliedAtMost: source.lastAppliedAtMost ?? source.oplogLimit}
          expectations.set(target.service, (await expectedStateAtPointInTime(from.store, plan)).collections)
        }
      }
    }
    if (options.dryRun) return {environment: record.name, action, dryRun: true, ...(options.fromEnv === undefined ? {} : {fromEnvironment: options.fromEnv}), restores: targets.map((t) => plannedSummary(t, sources.get(t.service), action, !options.noSwitch))}

    const lock = await acquireEnvironmentLock(connection.clients as ReadonlyMap<string, KubeApi>, {operation: 'restore', holder: holderIdentity(), environment: record.name})
    lock.startRenewing()
    // --from-env on a cloud: this environment's backup identity may read OLD's bucket and key
    // while the restore runs, and no longer after it (cross-env-grant.ts).
    let grant: RestoreGrant | undefined
    try {
      if (options.fromEnv !== undefined && action === 'restore') grant = await grantReadOfOtherSite({provider: record.provider, environment: record.name, region: site.region, fromEnv: options.fromEnv, store: from.store})
      if (grant) options.onProgress?.(grant.description)
      const restores: RestoreSummary[] = []
      for (const target of targets) {
        const driver =
          options.driverFor?.({site: from, connection, target}) ??
          restoreIntoSetDriver({
            site: from,
            catalog: options.catalog,
            env: record.spec,
            database: target.database,
            clients: connection.clients as ReadonlyMap<string, KubeApi>,
            // Across environments the restored set's application user is reset to this
            // environment's generated credentials (the live database's Secret) by the restore Job.
            ...(options.fromEnv === undefined ? {} : {appUserSecret: credentialsSecretName(target.database)}),
            ...(options.timeoutMs ? {timeoutMs: options.timeoutMs} : {}),
          })
        const descriptor = options.catalog.byName(target.database)
        if (!descriptor) throw new NotFoundError(`no descriptor for ${target.database}`)
        const context: Omit<RestoreContext, 'entry' | 'expected'> = {
          active: site.client,
          clients: connection.clients as ReadonlyMap<string, KubeApi>,
          driver,
          secret: connectionSecretOf(options.catalog, target),
          live: {hosts: replicaSetTopology(descriptor, record.spec).members.map((m) => m.host), credentialsSecret: credentialsSecretName(target.database)},
          confirm: async () => {
            await confirmOperation({...confirmation, action: `switch ${target.service} of ${record.name} to the restored data`, doing: `a restore of ${target.service} in ${record.name}`}, options.ask)
          },
          now,
          // The switch and --undo break the timeline: a break, a new base, the schedules follow.
          ...breakHooks({record, site, catalog: options.catalog, target, now, ...(options.timeoutMs ? {jobTimeoutMs: options.timeoutMs} : {}), ...(options.onProgress ? {onProgress: options.onProgress} : {})}),
          onStep: (kind, state, detail) => options.onStep?.(target.service, kind, state, detail),
          ...(options.onProgress ? {onProgress: options.onProgress} : {}),
          ...(options.timeoutMs ? {waitTimeoutMs: options.timeoutMs} : {}),
        }
        const stored = await readRestoreRun(site.client, target.service)
        if (action === 'abandon') {
          const decided = decideAbandon(stored, target.service)
          if (decided.kind === 'refuse') throw decided.error
          const {removed} = await abandonRestoreRun(decided.run, context, decided.scaleBack)
          restores.push({...summaryOf(decided.run, false), outcome: 'abandoned', serviceReads: decided.run.previousSet, removedSet: removed})
          continue
        }
        if (action === 'undo') {
          const decided = decideUndo(stored, target.service)
          if (decided.kind === 'refuse') throw decided.error
          // Back to what the service read before: the live database, or an earlier restored set.
          const previous = decided.run.previousSet === target.database ? context.live : await driver.connection(decided.run.previousSet)
          const undone = await undoRestoreRun(decided.run, {...context, live: previous})
          restores.push({...summaryOf(undone, false), serviceReads: undone.previousSet, ...(undone.undo ? {writesSinceSwitch: undone.undo.writesSinceSwitch} : {})})
          continue
        }
        const source = sources.get(target.service) as RestoreSource
        const request: RestoreRequest = {
          environment: record.name,
          service: target.service,
          database: target.database,
          backupId: source.base.id,
          ...(source.oplogLimit ? {oplogLimit: source.oplogLimit} : {}),
          ...(source.lastAppliedAtMost ? {lastAppliedAtMost: source.lastAppliedAtMost} : {}),
          switch: !options.noSwitch,
          ...(options.fromEnv === undefined ? {} : {fromEnvironment: options.fromEnv}),
        }
        const rerun = decideRerun(stored, request)
        if (rerun.kind === 'refuse') throw rerun.error
        const run = rerun.kind === 'resume' ? rerun.run : startRestoreRun({request, previousSet: setServiceReads(stored, target.database), who: holderIdentity(), now: now()})
        const finished = await executeRestoreRun(run, {...context, entry: source.base, slices: source.slices, expected: expectations.get(target.service) ?? source.base.collections})
        const summary = summaryOf(finished, rerun.kind === 'resume')
        if (!finished.request.switch) summary.connection = {...(await driver.connection(finished.restoredSet)), namespace: 'mygate-data'}
        restores.push(summary)
      }
      return {environment: record.name, action, dryRun: false, ...(options.fromEnv === undefined ? {} : {fromEnvironment: options.fromEnv}), restores}
    } finally {
      await grant?.revoke()
      await lock.release()
    }
  } finally {
    connection.close()
  }
}

/** OLD's backup site as read from this environment (src/backup/restore/cross-env-source.ts). */
async function crossEnvironmentSite(fromEnv: string, connection: EnvironmentConnection, own: BackupSite, home?: string): Promise<BackupSite> {
  const {record} = connection
  const other = await openOtherSiteStore({environment: record.name, provider: record.provider, spec: record.spec, activeRegion: record.activeRegion}, fromEnv, home ? {home} : {})
  return otherSiteFor(own, other, record.provider)
}

/** Where the service reads its connection string: its `generate: mongodb-uri` secret. */
function connectionSecretOf(catalog: Catalog, target: BackupTarget): {name: string; key: string} {
  const service = catalog.byName(target.service)
  const secret = service?.secrets.find((s) => s.generate === 'mongodb-uri')
  if (!secret) throw new UsageError(`${target.service} has no connection string secret (generate: mongodb-uri) to switch`, {hint: `restore with --no-switch to read the restored data beside ${target.database}`})
  return {name: secret.secretName, key: secret.key}
}

function summaryOf(run: RestoreRun, resumed: boolean): RestoreSummary {
  const switched = run.request.switch && run.outcome === 'succeeded'
  return {
    service: run.request.service,
    database: run.request.database,
    runId: run.id,
    backupId: run.request.backupId,
    ...(run.request.oplogLimit ? {oplogLimit: run.request.oplogLimit} : {}),
    ...(run.lastAppliedOp ? {lastAppliedOp: run.lastAppliedOp} : {}),
    restoredSet: run.restoredSet,
    previousSet: run.previousSet,
    serviceReads: switched ? run.restoredSet : run.previousSet,
    resumed,
    outcome: run.outcome,
    steps: run.steps.map((s) => ({kind: s.kind, status: s.status, ...(s.detail ? {detail: s.detail} : {})})),
    ...(run.proven ? {proven: run.proven} : {}),
    ...(run.keepPreviousUntil ? {keepPreviousUntil: run.keepPreviousUntil} : {}),
  }
}

function plannedSummary(target: BackupTarget, source: RestoreSource | undefined, action: RestoreAction, switching: boolean): RestoreSummary {
  const steps = action === 'restore' ? (switching ? RESTORE_STEPS : NO_SWITCH_STEPS) : []
  return {
    service: target.service,
    database: target.database,
    runId: '(new)',
    backupId: source?.base.id ?? '(stored run)',
    ...(source?.oplogLimit ? {oplogLimit: source.oplogLimit} : {}),
    restoredSet: `${target.database}-r????`,
    previousSet: target.database,
    serviceReads: target.database,
    resumed: false,
    outcome: 'planned',
    steps: steps.map((kind) => ({kind, status: 'pending'})),
  }
}
