import {ApiError} from '../store/api-error.js'
import {decodesProtobuf, PROTOBUF_MEDIA_TYPE, type KindRef} from '../protobuf/index.js'

/**
 * Content negotiation as k8s.io/apiserver's handlers/negotiation does it: a request body in a
 * format the kind has no serializer for is 415, an Accept header that names nothing the server
 * writes is 406, both with the real messages (negotiation/errors.go).
 *
 * The local server reads JSON, YAML and, for the built-in kinds kubectl sends that way, protobuf;
 * it writes JSON only. A real server without a protobuf serializer for a kind (a custom resource)
 * answers a client that prefers protobuf in JSON when the Accept header allows it, which
 * client-go's always does (`application/vnd.kubernetes.protobuf,application/json`), and client-go
 * decodes a response by its Content-Type.
 */

export const JSON_MEDIA_TYPE = 'application/json'
const YAML_MEDIA_TYPE = 'application/yaml'

/** What the server writes responses in. */
const RESPONSE_MEDIA_TYPES = [JSON_MEDIA_TYPE]

/** The media types a create or update body of `kind` may come in, in the real server's order. */
export function acceptedBodyTypes(kind: KindRef): string[] {
  return decodesProtobuf(kind) ? [JSON_MEDIA_TYPE, YAML_MEDIA_TYPE, PROTOBUF_MEDIA_TYPE] : [JSON_MEDIA_TYPE, YAML_MEDIA_TYPE]
}

export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`)
}

export function notAcceptable(accepted: readonly string[]): ApiError {
  return new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`)
}

interface AcceptClause {
  type: string
  subtype: string
}

/** `type/subtype;param=value, ...`; a clause that does not parse is left out, as goautoneg does. */
export function parseAccept(header: string): AcceptClause[] {
  const clauses: AcceptClause[] = []
  for (const part of header.split(',')) {
    const range = part.split(';')[0].trim().toLowerCase()
    const slash = range.indexOf('/')
    if (slash <= 0 || slash === range.length - 1) continue
    clauses.push({type: range.slice(0, slash), subtype: range.slice(slash + 1)})
  }
  return clauses
}

// negotiate.go's match: the same type and subtype, a `type/` wildcard, or the any-type wildcard
// (quality is not consulted).
function matches(clause: AcceptClause, mediaType: string): boolean {
  const [type, subtype] = mediaType.split('/')
  return (clause.type === '*' && clause.subtype === '*') || (clause.type === type && (clause.subtype === '*' || clause.subtype === subtype))
}

/**
 * Checks that the response can be written in a format the client accepts: no Accept header, or
 * a clause JSON satisfies (its parameters, such as `as=Table`, are the handlers' business).
 * Otherwise 406, before the request does anything, as NegotiateOutputMediaType does at the top
 * of every real handler.
 */
export function negotiateResponse(accept: string | undefined): void {
  if (accept === undefined || accept === '') return
  if (parseAccept(accept).some((clause) => RESPONSE_MEDIA_TYPES.some((type) => matches(clause, type)))) return
  throw notAcceptable(RESPONSE_MEDIA_TYPES)
}
