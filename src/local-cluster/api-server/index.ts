export {startApiServer} from './server.js'
export {SERVER_VERSION} from './discovery.js'
export {MAX_BODY_BYTES} from './body.js'
export type {
  ApiFaultSettings,
  LostResponseMode,
  ApiServer,
  ApiServerLogger,
  ApiServerOptions,
  ApiServerStats,
  RequestHooks,
  ServiceProxyHandler,
  ServiceProxyRequest,
  ServiceProxyResponse,
} from './types.js'
