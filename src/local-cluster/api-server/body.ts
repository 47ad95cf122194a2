import type {IncomingMessage} from 'node:http'

import {decodeProtobufObject, PROTOBUF_MEDIA_TYPE, ProtobufDecodeError, type KindRef} from '../protobuf/index.js'
import {apiErrors} from '../store/api-error.js'
import {acceptedBodyTypes, unsupportedMediaType} from './negotiation.js'

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

/**
 * `summarizeData` of the real server's decode errors: a JSON body's start as text, anything else
 * as hex, cut at 30 bytes.
 */
function summarize(body: Buffer): string {
  if (body.length === 0) return '<empty>'
  const head = body.subarray(0, 30)
  const text = body[0] === 0x7b ? head.toString('utf8') : head.toString('hex')
  return body.length > 30 ? `${text} ...` : text
}

/**
 * A protobuf body for `kind` (the URL's), decoded into the JSON object the real server stores.
 * Errors are 400 in the real create/update handlers' words (transformDecodeError): before the
 * envelope names a kind, "the object provided is unrecognized"; after, "X cannot be handled".
 */
function parseProtobuf(body: Buffer, kind: KindRef): unknown {
  try {
    return decodeProtobufObject(body, kind)
  } catch (error) {
    if (!(error instanceof ProtobufDecodeError)) throw error
    if (!error.kind) throw apiErrors.badRequest(`the object provided is unrecognized (must be of type ${kind.kind}): ${error.message} (${summarize(body)})`)
    const version = error.kind.apiVersion.slice(error.kind.apiVersion.lastIndexOf('/') + 1)
    throw apiErrors.badRequest(`${error.kind.kind} in version "${version}" cannot be handled as a ${kind.kind}: ${error.message}`)
  }
}

/**
 * A create/update body for an object of `kind`: JSON, YAML, or protobuf for the built-in kinds
 * kubectl sends that way (see protobuf/descriptors). Any other format is 415 listing what the
 * kind accepts, as on a real server; a custom resource never accepts protobuf.
 */
export async function parseObjectBody(req: IncomingMessage, body: Buffer, kind: KindRef): Promise<unknown> {
  const type = mediaType(req)
  if (type === '' || type === 'application/json' || type === '*/*') return parseJson(body)
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return parseYaml(body)
  const accepted = acceptedBodyTypes(kind)
  if (type === PROTOBUF_MEDIA_TYPE && accepted.includes(PROTOBUF_MEDIA_TYPE)) return parseProtobuf(body, kind)
  throw unsupportedMediaType(accepted)
}
