import {isMygateError} from '../../errors.js'
import type {OplogSliceEntry} from '../catalog/entry.js'
import type {ContentHashes} from '../../formats/content-hash/content-hash.js'
import type {KubeApi} from '../../kube/api.js'
import type {BackupEntry} from '../catalog/entry.js'
import {proofFailure, proveRestore} from './prove.js'
import {
  keepPreviousUntil,
  markUndone,
  nextRestoreStep,
  type RestoreRun,
  type RestoreStepKind,
  restoreStepDone,
  restoreStepFailed,
  restoreStepStarted,
} from './restore-run.js'
import {deleteRestoreRun, writeRestoreRun} from './restore-store.js'
import type {RestoredSetDriver} from './set-driver.js'
import {switchNetworkPolicies} from './switch-network.js'
import {type ConnectionSecretRef, restartService, setCredentials, stopServiceWrites, switchConnection} from './service-switch.js'

/**
 * Walks a restore run from its next step to its end, storing it before and after each step (so a
 * kill at any point leaves a record a re-run continues from), and the two other ways a run ends:
 * --abandon (before the switch) and --undo (after it). The steps' decisions are in restore-run.ts;
 * this module only sequences the I/O.
 */

export interface RestoreContext {
  /** The active region: the run record, the restored set, the backups. */
  active: KubeApi
  /** Every region the service runs in (its Deployments and connection Secret are in each). */
  clients: ReadonlyMap<string, KubeApi>
  driver: RestoredSetDriver
  entry: BackupEntry
  /** Oplog slices replayed after the archive (a point-in-time restore beyond its consistent point). */
  slices?: OplogSliceEntry[]
  /** What the restored set must hold: the entry's hashes, or the point-in-time expectation. */
  expected: ContentHashes
  secret: ConnectionSecretRef
  /** The live set's members (`host:port`) and credentials Secret, for --undo. */
  live: {hosts: string[]; credentialsSecret: string}
  /** The confirmation rule's question, asked after the proof (production); throws to refuse. */
  confirm: () => Promise<void>
  now: () => Date
  /**
   * Run at the end of the switch, with the service's writes still stopped: the timeline break is
   * recorded and a new base backup of the restored set taken (new-base-after-break.ts), so the
   * restorable window starts again exactly at the data the service resumes from. Reads first: a
   * resumed switch does not take a second base. Returns what it did, for the step's detail.
   */
  afterSwitch?: (run: RestoreRun, switchedAt: Date) => Promise<string>
  /**
   * The same for --undo, run once the Secret names the previous set again and before the pods
   * restart: switching back breaks the timeline too (the writes the restored set took are not in
   * the previous set's oplog), so the break is recorded (reason restore-undo) and a new base of
   * the previous set taken. Reads first, like afterSwitch: a re-run after a kill takes no second.
   */
  afterUndo?: (run: RestoreRun, undoneAt: Date) => Promise<string>
  onStep?: (kind: RestoreStepKind, state: 'start' | 'done', detail?: string) => void
  onProgress?: (message: string) => void
  waitTimeoutMs?: number
}

export async function executeRestoreRun(initial: RestoreRun, context: RestoreContext): Promise<RestoreRun> {
  let run = initial
  const save = async (next: RestoreRun) => {
    run = next
    await writeRestoreRun(context.active, run)
  }
  await save(run)
  for (let step = nextRestoreStep(run); step; step = nextRestoreStep(run)) {
    const kind = step.kind
    await save(restoreStepStarted(run, kind, context.now()))
    context.onStep?.(kind, 'start')
    let detail: string
    try {
      detail = await runStep(kind, () => run, save, context)
    } catch (error) {
      const message = isMygateError(error) || error instanceof Error ? error.message : String(error)
      await save(restoreStepFailed(run, kind, context.now(), message)).catch(() => undefined)
      throw error
    }
    await save(restoreStepDone(run, kind, context.now(), detail))
    context.onStep?.(kind, 'done', detail)
  }
  return run
}

async function runStep(kind: RestoreStepKind, current: () => RestoreRun, save: (run: RestoreRun) => Promise<void>, context: RestoreContext): Promise<string> {
  const run = current()
  const service = {clients: context.clients, service: run.request.service}
  switch (kind) {
    case 'restore-beside': {
      const measured = await context.driver.restoreInto({entry: context.entry, set: run.restoredSet, ...(run.request.oplogLimit ? {oplogLimit: run.request.oplogLimit} : {}), ...(context.slices?.length ? {slices: context.slices} : {}), ...(context.onProgress ? {onProgress: context.onProgress} : {})})
      await save({...current(), measured: measured.collections, ...(measured.lastAppliedOp ? {lastAppliedOp: measured.lastAppliedOp} : {})})
      return `${run.restoredSet} holds backup ${run.request.backupId}${measured.lastAppliedOp ? ` up to ${measured.lastAppliedOp}` : ''} (restored in ${(measured.restoreMs / 1000).toFixed(1)}s)`
    }
    case 'prove': {
      const verdict = proveRestore(context.expected, run.measured ?? {})
      if (!verdict.ok) throw proofFailure(verdict, run.request.backupId, run.restoredSet, run.previousSet)
      await save({...current(), proven: {collections: verdict.collections, documents: verdict.documents}})
      return `${verdict.collections} collections, ${verdict.documents} documents: counts and hashes match the backup`
    }
    case 'confirm':
      await context.confirm()
      return 'confirmed'
    case 'stop-writes': {
      const stopped = await stopServiceWrites({...service, ...(run.stopped ? {recorded: run.stopped} : {}), record: (s) => save({...current(), stopped: s}), ...timeouts(context)})
      return `${stopped.length} deployment(s) of ${run.request.service} at 0`
    }
    case 'switch': {
      // Before the Secret names the set (writes are stopped): where --undo's count starts. A
      // resumed switch keeps the optime its first attempt recorded.
      if (!run.switchOptime && context.driver.lastOptime) {
        const optime = await context.driver.lastOptime(run.restoredSet)
        if (optime) await save({...current(), switchOptime: optime})
      }
      const target = await context.driver.connection(run.restoredSet)
      const credentials = await setCredentials(context.active, target.credentialsSecret)
      // The network first: once the Secret names the set, the next pod started must reach it.
      for (const client of context.clients.values()) for (const policy of switchNetworkPolicies({service: run.request.service, set: run.restoredSet, port: target.port})) await client.apply(policy)
      const regions = await switchConnection({...service, secret: context.secret, target: {set: run.restoredSet, hosts: target.hosts, ...credentials}})
      const switched = `${context.secret.name} names ${run.restoredSet}${regions.length > 0 ? ` (changed in ${regions.join(', ')})` : ' (already)'}`
      if (!context.afterSwitch) return switched
      // The switch's own start time (kept by a resumed run) is the break's.
      const startedAt = current().steps.find((s) => s.kind === 'switch')?.startedAt
      return `${switched}; ${await context.afterSwitch(current(), startedAt ? new Date(startedAt) : context.now())}`
    }
    case 'restart':
      return restartService({...service, stopped: run.stopped ?? [], ...timeouts(context)})
    case 'resume-writes':
      return `${run.request.service} writes to ${run.restoredSet}`
    case 'record': {
      if (!run.request.switch) return `${run.restoredSet} kept beside ${run.previousSet}; nothing was switched`
      const until = keepPreviousUntil(context.now())
      await save({...current(), keepPreviousUntil: until})
      return `${run.previousSet} kept (may be scaled down after ${until})`
    }
  }
}

function timeouts(context: Pick<RestoreContext, 'waitTimeoutMs' | 'onProgress'>): {timeoutMs?: number; onProgress?: (message: string) => void} {
  return {...(context.waitTimeoutMs ? {timeoutMs: context.waitTimeoutMs} : {}), ...(context.onProgress ? {onProgress: context.onProgress} : {})}
}

/** --abandon: the service back at its replicas if it was stopped, the half-made set removed, the record deleted. */
export async function abandonRestoreRun(run: RestoreRun, context: Pick<RestoreContext, 'active' | 'clients' | 'driver' | 'waitTimeoutMs' | 'onProgress'>, scaleBack: boolean): Promise<{removed: boolean}> {
  if (scaleBack && run.stopped) await restartService({clients: context.clients, service: run.request.service, stopped: run.stopped, ...timeouts(context)})
  const removed = await context.driver.remove(run.restoredSet)
  await deleteRestoreRun(context.active, run.request.service)
  return {removed}
}

/**
 * --undo: writes stopped, the connection Secret back on the previous set, pods restarted; the
 * restored set is kept with the writes it took since the switch, which are counted (documents
 * added or removed per collection against what the proof measured).
 */
export async function undoRestoreRun(run: RestoreRun, context: Omit<RestoreContext, 'entry' | 'expected'>): Promise<RestoreRun> {
  let current = run
  const save = async (next: RestoreRun) => {
    current = next
    await writeRestoreRun(context.active, current)
  }
  const service = {clients: context.clients, service: run.request.service}
  await context.confirm()
  // The undo's own stop is recorded apart from the restore's: a re-run after a kill here finds it.
  const stopped = await stopServiceWrites({...service, ...(current.undoStopped ? {recorded: current.undoStopped} : {}), record: (s) => save({...current, undoStopped: s}), ...timeouts(context)})
  // Counted with the service stopped: every write the restored set took since the switch.
  const counted = await countWritesSinceSwitch(current, context.driver)
  const credentials = await setCredentials(context.active, context.live.credentialsSecret)
  await switchConnection({...service, secret: context.secret, target: {set: run.previousSet, hosts: context.live.hosts, ...credentials}})
  const marked = context.afterUndo ? `; ${await context.afterUndo(current, context.now())}` : ''
  await restartService({...service, stopped, ...timeouts(context)})
  const detail = `${run.request.service} reads ${run.previousSet} again; ${run.restoredSet} is kept with the ${counted.description} it took since the switch${marked}`
  await save(markUndone(current, context.now(), counted.total, detail, counted.writes))
  return current
}

/**
 * The writes since the switch: from the restored set's oplog after the optime the switch
 * recorded (inserts, updates and deletes each count); for a run switched before that optime was
 * recorded, the net change of document counts, said as such.
 */
async function countWritesSinceSwitch(run: RestoreRun, driver: RestoredSetDriver): Promise<{total: number; description: string; writes?: NonNullable<RestoreRun['undo']>['writes']}> {
  if (run.switchOptime && driver.writesSince) {
    const found = await driver.writesSince(run.restoredSet, run.switchOptime)
    const writes = {inserts: found.inserts, updates: found.updates, deletes: found.deletes, complete: found.complete}
    const total = writes.inserts + writes.updates + writes.deletes
    const partial = writes.complete ? '' : ' (at least: its oplog no longer reaches back to the switch)'
    return {total, writes, description: `${total} write(s) (${writes.inserts} inserts, ${writes.updates} updates, ${writes.deletes} deletes after ${run.switchOptime})${partial}`}
  }
  const total = writesSince(run.measured ?? {}, await driver.countDocuments(run.restoredSet))
  return {total, description: `${total} document change(s) (net document counts: no optime was recorded at its switch)`}
}

/**
 * Documents added or removed since the proof, per collection, summed: what the restored set took
 * while it served. Updates in place leave counts unchanged and are not seen by this measure.
 * Example: measured {v.g: 10 docs}, now {v.g: 13, v.p: 2} -> 5.
 */
export function writesSince(measured: ContentHashes, counts: Record<string, number>): number {
  const names = new Set([...Object.keys(measured), ...Object.keys(counts)])
  let total = 0
  for (const name of names) total += Math.abs((counts[name] ?? 0) - (measured[name]?.documents ?? 0))
  return total
}
