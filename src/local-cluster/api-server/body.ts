import type {IncomingMessage} from 'node:http'

import {apiErrors} from '../store/api-error.js'

/** The largest request body accepted: etcd's object size limit, which the real server enforces too. */
export const MAX_BODY_BYTES = 1.5 * 1024 * 1024

/**
 * Reads the body, rejecting with 413 as soon as it passes the limit (never buffering more than
 * that). The rest of an oversized body is drained and discarded so the 413 can be read.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0)
  return new Promise((resolve, reject) => {
    const tooLarge = (): void => {
      req.removeAllListeners('data')
      req.removeAllListeners('end')
      req.resume()
      reject(apiErrors.tooLarge(`the request body is larger than the limit of ${limit} bytes`))
    }
    if (declared > limit) return tooLarge()
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) return tooLarge()
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
}

/** Parses a JSON body; anything unparseable is the server's 400 BadRequest. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw apiErrors.badRequest(`the body of the request could not be decoded as JSON: ${(error as Error).message}`)
  }
}

/** Parses YAML (or JSON, which is YAML); the yaml package loads only when a YAML body arrives. */
export async function parseYaml(body: Buffer): Promise<unknown> {
  const {parse} = await import('yaml')
  try {
    return parse(body.toString('utf8'), {strict: true, uniqueKeys: true})
  } catch (error) {
    throw apiErrors.badRequest(`error decoding YAML: ${(error as Error).message}`)
  }
}

/** A create/update body: JSON, or YAML when the client says so. Protobuf etc. is 415. */
export async function parseObjectBody(req: IncomingMessage, body: Buffer): Promise<unknown> {
  const type = mediaType(req)
  if (type === '' || type === 'application/json' || type === '*/*') return parseJson(body)
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return parseYaml(body)
  throw apiErrors.unsupportedMediaType(type, 'application/json, application/yaml')
}
