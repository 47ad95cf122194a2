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
  // The header mirrors the Status's details.retryAfterSeconds, as kube-apiserver's do; 1 s when unset.
  if (apiError.code === 429 || apiError.code === 503) headers['Retry-After'] = String(apiError.status.details?.retryAfterSeconds ?? 1)
  if (apiError.code === 413) headers.Connection = 'close'
  writeJson(res, apiError.code, apiError.status, headers)
}

/**
 * Adds `Warning: 299 - "text"` headers (RFC 7234 warn-code 299, as kube-apiserver sends
 * admission and field-validation warnings; kubectl prints each as `Warning: text`).
 */
export function addWarnings(res: ServerResponse, warnings: readonly string[]): void {
  if (warnings.length === 0 || res.headersSent) return
  const existing = res.getHeader('Warning')
  const previous = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)]
  res.setHeader('Warning', [...previous, ...warnings.map((w) => `299 - ${JSON.stringify(w)}`)])
}

export function successStatus(details: Record<string, unknown>): Record<string, unknown> {
  return {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details}
}
