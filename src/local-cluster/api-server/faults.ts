import type {IncomingMessage, ServerResponse} from 'node:http'
import {setTimeout as sleep} from 'node:timers/promises'

import {ApiError, apiErrors} from '../store/api-error.js'
import type {ApiFaultSettings} from './types.js'

/** What an injected fault does to one request. */
export interface FaultDecision {
  /** Answer with this error instead of running the request. */
  reject?: ApiError
  /** Run the request (the write is committed), then lose its response this way. */
  lose?: {mode: 'drop'} | {mode: 'error'; error: ApiError}
}

/** The request as fault injection sees it. */
export interface FaultTarget {
  /** create, update, patch or delete of a resource (not a watch, not a read). */
  write: boolean
  /** `deployments.apps`, `configmaps`... */
  resource: string
  name?: string
}

/** What kube-apiserver's own 429s carry (see ApiFaultSettings.retryAfterSeconds). */
export const DEFAULT_RETRY_AFTER_SECONDS = 1

function statusError(code: number, target: FaultTarget, retryAfterSeconds: number): ApiError {
  switch (code) {
    case 503:
      return new ApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request (injected fault)', {retryAfterSeconds})
    case 429:
      return new ApiError(429, 'TooManyRequests', 'too many requests, please try again later (injected fault)', {retryAfterSeconds})
    case 409: {
      // The optimistic-concurrency conflict a racing writer gets, naming the object.
      const what = target.name === undefined ? target.resource : `${target.resource} "${target.name}"`
      return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${what}: the object has been modified; please apply your changes to the latest version and try again (injected fault)`, {
        ...(target.name === undefined ? {} : {name: target.name}),
        kind: target.resource,
      })
    }
    default:
      return apiErrors.internal('injected fault')
  }
}

/**
 * Decides one request's fate under the settings (pure but for `random`): with probability
 * errorRate it is rejected before running, with the statuses used in turn (`turn` counts
 * injected errors); a write that runs is, with probability lostResponseRate, committed and its
 * response lost: the connection dropped, or a 5xx after the fact (`lostTurn` alternates the two
 * in `both` mode).
 */
export function decideApiFault(settings: ApiFaultSettings, target: FaultTarget, turns: {error: number; lost: number}, random: () => number = Math.random): FaultDecision {
  const retryAfter = settings.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS
  if (settings.errorRate > 0 && random() < settings.errorRate) {
    const statuses = settings.statuses.length > 0 ? settings.statuses : [500]
    // A read never gets 409: take the next status that is not one, or let the read through.
    const usable = target.write ? statuses : statuses.filter((code) => code !== 409)
    if (usable.length > 0) return {reject: statusError(usable[turns.error % usable.length], target, retryAfter)}
  }
  const lostRate = settings.lostResponseRate ?? 0
  if (target.write && lostRate > 0 && random() < lostRate) {
    const mode = settings.lostResponse ?? 'both'
    const drop = mode === 'drop' || (mode === 'both' && turns.lost % 2 === 0)
    if (drop) return {lose: {mode: 'drop'}}
    const fives = settings.statuses.filter((code) => code >= 500)
    const code = fives.length > 0 ? fives[turns.lost % fives.length] : 500
    return {lose: {mode: 'error', error: statusError(code, target, retryAfter)}}
  }
  return {}
}

/** Waits the injected latency (every non-exempt request pays it). */
export async function injectedLatency(settings: ApiFaultSettings): Promise<void> {
  if (settings.latencyMs > 0) await sleep(settings.latencyMs)
}

/**
 * Runs `handler` with its response swallowed, then loses it: the write the handler made is
 * committed (handlers flush the store before answering), but the client gets either a closed
 * connection or an error. A handler that fails answers its real error (nothing was committed).
 *
 * The handlers write through `res.writeHead`/`res.end` (writeJson); those are shadowed on this
 * one response object while the handler runs, and restored before the lost answer is written.
 */
export async function runWithLostResponse(req: IncomingMessage, res: ServerResponse, lose: NonNullable<FaultDecision['lose']>, handler: () => Promise<void>): Promise<void> {
  const shadowed = ['writeHead', 'write', 'end'] as const
  for (const method of shadowed) Object.defineProperty(res, method, {value: () => res, configurable: true, writable: true})
  const restore = () => {
    for (const method of shadowed) delete (res as unknown as Record<string, unknown>)[method]
    res.removeHeader('Warning')
  }
  try {
    await handler()
  } catch (error) {
    restore()
    throw error
  }
  restore()
  if (lose.mode === 'drop') {
    req.socket.destroy()
    return
  }
  throw lose.error
}
