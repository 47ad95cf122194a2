import {randomUUID} from 'node:crypto'

import {type EnvironmentChange, recordEnvironmentAudit} from '../audit/environment-audit.js'
import {currentOperator, holderIdentity} from '../audit/identity.js'
import type {ConfirmationRequest} from '../guards/confirmation-rule.js'
import {kindRank} from '../kube/apply-order.js'
import {removalPatch} from './removal-patch.js'
import {type DiffOptions, type DriftFinding, type EnvironmentDiff, findDrift, openDriftSession} from './diff.js'
import {acquireEnvironmentLock} from '../locks/environment-lock.js'
import {isProtected} from './undeclared.js'

/**
 * `mygate env sync`: plan, then act. The plan comes from the diff (planSync, pure): apply the
 * desired object where fields drifted (hand-added fields removed first, removal-patch.ts),
 * create what is missing, and delete undeclared objects only with `--prune`, never a
 * PersistentVolumeClaim, a Secret or a database workload. Production follows the confirmation
 * rule (src/guards/confirmation-rule.ts; `--prune` that deletes is destructive). The environment
 * lock is held while anything is written, and an audit entry records what changed.
 */

export interface SyncOptions extends DiffOptions {
  prune?: boolean
  /** Plan only: change nothing. */
  dryRun?: boolean
  /** Carries out the confirmation rule (the command passes src/ui/confirm.ts confirmOperation); throws to refuse. */
  confirm: (request: Omit<ConfirmationRequest, 'terminal' | 'yes' | 'confirm'>) => Promise<unknown>
  /** Lock holder identity (default: this process, src/audit/identity.ts). */
  holder?: string
  now?: () => Date
}

export type SyncStepAction = 'apply' | 'create' | 'delete' | 'keep'

export interface SyncStep {
  region: string
  kind: string
  namespace?: string
  name: string
  action: SyncStepAction
  /** apply: the drifted fields put right. */
  fields?: string[]
  /** keep: why the object is left alone. */
  reason?: string
}

/** The `--json` result of `mygate env sync`. */
export interface SyncResult {
  environment: string
  dryRun: boolean
  prune: boolean
  /** The drift found before syncing. */
  diff: EnvironmentDiff
  steps: SyncStep[]
  /** What was changed (empty for --dry-run). */
  changes: EnvironmentChange[]
  /** The audit entry written (`mygate env history`), when something changed. */
  auditId?: string
}

interface PlannedStep extends SyncStep {
  finding: DriftFinding
}

/** Pure: what sync does for each finding, in apply order (namespaces first, deletions last). */
export function planSync(findings: readonly DriftFinding[], options: {prune: boolean}): PlannedStep[] {
  const steps = findings.map((finding): PlannedStep => {
    const r = finding.report
    const base = {region: r.region, kind: r.kind, ...(r.namespace ? {namespace: r.namespace} : {}), name: r.name, finding}
    if (r.status === 'missing') return {...base, action: 'create'}
    if (r.status === 'drifted') return {...base, action: 'apply', fields: r.fields.map((f) => f.field)}
    const protectedBecause = isProtected({kind: r.kind, metadata: {namespace: r.namespace}})
    if (protectedBecause) return {...base, action: 'keep', reason: `never deleted: ${protectedBecause}`}
    if (!options.prune) return {...base, action: 'keep', reason: 'undeclared; pass --prune to delete it'}
    return {...base, action: 'delete'}
  })
  const rank = (s: PlannedStep) => (s.action === 'delete' ? 1000 : s.action === 'keep' ? 2000 : kindRank(s.kind))
  return steps.sort((a, b) => rank(a) - rank(b))
}

export async function syncEnvironment(options: SyncOptions): Promise<SyncResult> {
  const now = options.now ?? (() => new Date())
  const session = await openDriftSession(options)
  const {connection} = session
  try {
    const {diff, findings} = await findDrift(session, options)
    const planned = planSync(findings, {prune: Boolean(options.prune)})
    const result: SyncResult = {
      environment: diff.environment,
      dryRun: Boolean(options.dryRun),
      prune: Boolean(options.prune),
      diff,
      steps: planned.map(({finding: _finding, ...step}) => step),
      changes: [],
    }
    const work = planned.filter((s) => s.action !== 'keep')
    if (options.dryRun || work.length === 0) return result

    const deletes = work.some((s) => s.action === 'delete')
    await options.confirm({
      environment: diff.environment,
      tier: connection.record.spec.tier,
      destructive: deletes,
      action: `${deletes ? 'sync and prune' : 'sync'} environment ${diff.environment} (${work.length} change${work.length === 1 ? '' : 's'})`,
      doing: `${deletes ? 'syncing and pruning' : 'syncing'} environment ${diff.environment}`,
    })

    const operator = currentOperator()
    const lock = await acquireEnvironmentLock(connection.clients, {environment: diff.environment, holder: options.holder ?? holderIdentity(operator), operation: 'sync'})
    lock.startRenewing()
    const startedAt = now().toISOString()
    let failure: unknown
    try {
      for (const step of work) {
        const client = connection.clients.get(step.region)!
        const {finding} = step
        const ref = {kind: step.kind, ...(step.namespace ? {namespace: step.namespace} : {}), name: step.name, region: step.region}
        if (step.action === 'delete') {
          await client.delete({apiVersion: finding.report.apiVersion, kind: step.kind, name: step.name, namespace: step.namespace})
          result.changes.push({...ref, action: 'deleted'})
          continue
        }
        const desired = finding.desired!.object
        const removals = finding.live ? removalPatch(finding.live, finding.adopt) : []
        if (removals.length > 0) {
          await client.request('PATCH', await client.pathFor({apiVersion: desired.apiVersion, kind: desired.kind, namespace: desired.metadata.namespace, name: step.name}), {
            body: removals,
            contentType: 'application/json-patch+json',
            query: {fieldManager: 'mygate'},
            what: `remove hand-added fields of ${step.kind} ${step.name}`,
          })
        }
        await client.apply(desired, {force: true})
        result.changes.push({...ref, action: step.action === 'create' ? 'created' : 'applied', ...(step.fields ? {fields: step.fields} : {})})
      }
    } catch (error) {
      failure = error
    } finally {
      await lock.release().catch(() => undefined)
    }
    if (result.changes.length > 0 || failure) {
      const id = `sync-${startedAt.replace(/[-:.]/g, '').toLowerCase()}-${randomUUID().slice(0, 6)}`
      const entry = {
        id,
        environment: diff.environment,
        operation: 'sync' as const,
        user: operator.user,
        host: operator.host,
        startedAt,
        finishedAt: now().toISOString(),
        outcome: failure ? ('failed' as const) : ('succeeded' as const),
        ...(failure ? {reason: (failure as Error).message} : {}),
        changes: result.changes,
      }
      for (const client of connection.clients.values()) await recordEnvironmentAudit(client, entry)
      result.auditId = id
    }
    if (failure) throw failure
    return result
  } finally {
    connection.close()
  }
}
