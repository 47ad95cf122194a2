import type {ServerResponse} from 'node:http'

import {ApiError, apiErrors} from '../store/api-error.js'

export function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers})
  res.end(text)
}

/** Writes an ApiError's Status (anything else becomes a 500 Status: the server never crashes). */
export function writeError(res: ServerResponse, error: unknown, log?: (line: string) => void): void {
  const apiError = error instanceof ApiError ? error : apiErrors.internal(error instanceof Error ? error.message : String(error))
  if (!(error instanceof ApiError)) log?.(`api-server: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  if (res.headersSent) {
    res.destroy()
    return
  }
  const headers: Record<string, string> = {}
  if (apiError.code === 429 || apiError.code === 503) headers['Retry-After'] = '1'
  if (apiError.code === 413) headers.Connection = 'close'
  writeJson(res, apiError.code, apiError.status, headers)
}

export function successStatus(details: Record<string, unknown>): Record<string, unknown> {
  return {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details}
}
