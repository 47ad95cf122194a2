import {setTimeout as sleep} from 'node:timers/promises'

import {ApiError, apiErrors} from '../store/api-error.js'
import type {ApiFaultSettings} from './types.js'

function statusError(code: number): ApiError {
  switch (code) {
    case 503:
      return apiErrors.serviceUnavailable('the server is currently unable to handle the request (injected fault)')
    case 429:
      return apiErrors.tooManyRequests('too many requests, please try again later (injected fault)')
    case 409:
      return new ApiError(409, 'Conflict', 'Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again (injected fault)')
    default:
      return apiErrors.internal('injected fault')
  }
}

/**
 * Applies injected API faults to one request: waits `latencyMs`, then with probability
 * `errorRate` returns the error to answer with (statuses used in turn).
 */
export async function injectedFault(settings: ApiFaultSettings, turn: number, random: () => number = Math.random): Promise<ApiError | undefined> {
  if (settings.latencyMs > 0) await sleep(settings.latencyMs)
  if (settings.errorRate <= 0 || random() >= settings.errorRate) return undefined
  const statuses = settings.statuses.length > 0 ? settings.statuses : [500]
  return statusError(statuses[turn % statuses.length])
}
