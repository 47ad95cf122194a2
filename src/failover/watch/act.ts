import {hostname} from 'node:os'

import type {Catalog} from '../../catalog/types.js'
import {ConflictError} from '../../errors.js'
import type {ProgressMode} from '../../ui/progress.js'
import {driveRun, lockEnvironment} from '../execute.js'
import {startRun, type FailoverRun} from '../run-state.js'
import {writeRun} from '../run-store.js'
import {openFailoverSession} from '../session.js'
import type {StepTuning} from '../steps.js'
import {planAutomaticFailover} from './automatic-plan.js'

/**
 * The watch acts: MongoDB already elected every PRIMARY in the survivor, so the steps that need no
 * human run as a failover run of their own (automatic-plan.ts), recorded in the same run store as
 * a person's (`failover history` shows who = watch; `failover resume` continues it if the watch
 * dies mid-way). It takes the environment lock for the run only, and refuses to act while another
 * operation holds it: a person or a deploy is already at work.
 */

/** `failover history` shows this as who ran it. */
export const WATCH_WHO = 'watch'

export interface ActInput {
  env: string
  catalog: Catalog
  lost: string
  survivor: string
  /** Why the region was declared lost (recorded as the run's reason). */
  error?: string
  progress: ProgressMode
  home?: string
  tuning?: StepTuning
  now: () => Date
}

export type ActOutcome = {acted: true; run: FailoverRun} | {acted: false; why: string; hint?: string}

export async function actOnLoss(input: ActInput): Promise<ActOutcome> {
  const session = await openFailoverSession(input.env, {home: input.home})
  try {
    if (!session.reachable.has(input.survivor)) return {acted: false, why: `${input.survivor} stopped answering before the watch could act`}
    const plan = planAutomaticFailover({spec: session.record.spec, catalog: input.catalog, lost: input.lost, survivor: input.survivor})
    let lock
    try {
      lock = await lockEnvironment(session, input.env)
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error
      return {acted: false, why: `not acting: ${error.message}`, ...(error.hint ? {hint: error.hint} : {})}
    }
    try {
      const reason = `failover watch on ${hostname()}: ${input.lost} lost${input.error ? ` (${input.error})` : ''}`
      const checks = [{check: 'target-cluster' as const, verdict: 'pass' as const, measured: `${input.survivor} answered the watch's probe`}]
      const run = startRun({plan, checks, who: WATCH_WHO, reason, now: input.now()})
      await writeRun(session.client(input.survivor), run)
      const finished = await driveRun(session, run, {catalog: input.catalog, progress: input.progress, tuning: input.tuning ?? {}, now: input.now})
      return {acted: true, run: finished}
    } finally {
      await lock.release()
    }
  } finally {
    await session.close()
  }
}
