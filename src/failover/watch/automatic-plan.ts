import type {Catalog} from '../../catalog/types.js'
import type {EnvironmentSpec} from '../../config/types.js'
import {CHECK_NAMES} from '../checks.js'
import {ACTIVE_ACTIVE_NOTE, DATABASES_GROUP, databaseOrder, type FailoverPlan, type FailoverStep, type StepKind} from '../plan.js'

/**
 * The plan `failover watch` runs by itself when a serving region is lost and MongoDB has ALREADY
 * elected every PRIMARY in the surviving region (the survivors hold a majority of the votes): only
 * the steps that need no human. Pure, like planFailover.
 *
 * No fence and no forced reconfiguration: the lost region holds a minority of the votes, so MongoDB
 * itself keeps it from electing a second PRIMARY (https://www.mongodb.com/docs/manual/core/replica-set-elections/),
 * and MongoDB's manual forbids forcing a reconfiguration unattended. The database steps only read:
 * confirm-primary fails the run if a PRIMARY is not (or no longer) in the survivor, and never moves it.
 *
 *   warm standby / pilot light, active region a lost, survivors in b:
 *     scale-target(b), [confirm-primary:auth-db(b), ..., redis(b)], switch-traffic(b),
 *     verify-gateway(b), record-active(b)
 *   active-active, b lost while a keeps the PRIMARYs (a stays the active region):
 *     [confirm-primary:auth-db(a), ..., redis(a)], switch-traffic(a) (b to weight 0),
 *     verify-gateway(a), record-active(a)
 */

export interface AutomaticPlanInput {
  spec: Pick<EnvironmentSpec, 'name' | 'regions' | 'drMode'>
  catalog: Catalog
  /** The region the watch declared lost. */
  lost: string
  /** The surviving region, where MongoDB elected every PRIMARY. */
  survivor: string
}

export function planAutomaticFailover(input: AutomaticPlanInput): FailoverPlan {
  const {lost: from, survivor: to} = input
  const activeActive = input.spec.drMode === 'active-active'
  const steps: FailoverStep[] = []
  const add = (kind: StepKind, region: string, title: string, target?: string, group?: string) =>
    steps.push({id: target === undefined ? kind : `${kind}:${target}`, kind, region, title, ...(target === undefined ? {} : {target}), ...(group === undefined ? {} : {group})})

  // Active-active: the survivor already serves at full scale.
  if (!activeActive) add('scale-target', to, `scale ${to} to full: apps at the recorded versions, HPA bounds`)
  for (const db of databaseOrder(input.catalog)) add('confirm-primary', to, `${db}: confirm MongoDB elected its PRIMARY in ${to} (read only, never forced)`, db, DATABASES_GROUP)
  for (const redis of input.catalog.services.filter((s) => s.kind === 'redis')) {
    add('redis', to, `${redis.name}: ready in ${to}, its replica promoted (REPLICAOF NO ONE)`, redis.name, DATABASES_GROUP)
  }
  add('switch-traffic', to, activeActive ? `weighted DNS: ${from} out of the records (weight 0), ${to} serves` : `switch traffic to ${to}`)
  add('verify-gateway', to, `verify the gateway serves in ${to}`)
  add('record-active', to, `record ${to} as the active region`)

  const notes = [`${from} was lost and MongoDB elected every PRIMARY in ${to} by itself: no fence, no forced reconfiguration`, ...(activeActive ? [ACTIVE_ACTIVE_NOTE] : [])]
  // The watch's own probe is the target-cluster check; the rest are a person's gates.
  return {environment: input.spec.name, mode: 'automatic', from, to, steps, checks: CHECK_NAMES.filter((c) => c === 'target-cluster'), overrides: [], notes}
}
