import type {IncomingMessage, ServerResponse} from 'node:http'

import type {LocalObjectStore} from '../store/object-store.js'
import {ApiError, apiErrors} from '../store/api-error.js'
import {openApiV2, openApiV2Protobuf, openApiV3Document, openApiV3Index} from '../openapi/documents.js'
import {writeJson} from './respond.js'

/** `/openapi/v2`, `/openapi/v3` (index) and `/openapi/v3/api/v1`, `/openapi/v3/apis/GROUP/VERSION`. */
export async function handleOpenApi(req: IncomingMessage, res: ServerResponse, pathname: string, store: LocalObjectStore): Promise<void> {
  const accept = String(req.headers.accept ?? '')
  // kubectl before 1.29 asks for the v2 document as protobuf only.
  if ((pathname === '/openapi/v2' || pathname === '/swagger-2.0.0.pb-v1') && accept.includes('protobuf')) {
    const body = await openApiV2Protobuf(store)
    // Go's mime parser rejects the '@' of the requested type, so the body goes as octet-stream.
    res.writeHead(200, {'Content-Type': 'application/octet-stream', 'Content-Length': body.length})
    res.end(body)
    return
  }
  // Only JSON (and v2 protobuf above) is served; other formats get 406 as on a real server.
  if (accept !== '' && !/json|\*\/\*/.test(accept)) {
    throw new ApiError(406, 'NotAcceptable', `only the following media types are accepted: application/json (got "${accept}")`)
  }
  if (pathname === '/openapi/v2' || pathname === '/swagger.json') return writeJson(res, 200, await openApiV2(store))
  if (pathname === '/openapi/v3' || pathname === '/openapi/v3/') return writeJson(res, 200, openApiV3Index(store))
  const gv = pathname.slice('/openapi/v3/'.length).replace(/\/$/, '')
  const document = await openApiV3Document(store, gv)
  if (!document) throw apiErrors.pathNotFound()
  writeJson(res, 200, document)
}
