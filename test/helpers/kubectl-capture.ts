import {createServer, request, type Server} from 'node:http'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {startApiServer, type ApiServer} from '../../src/local-cluster/api-server/index.js'
import {createObjectStore, type LocalObjectStore} from '../../src/local-cluster/store/index.js'
import {writeKubeconfig} from './kubectl.js'

/** One request kubectl sent with a body, as it arrived (headers and bytes untouched). */
export interface CapturedRequest {
  method: string
  path: string
  contentType: string
  accept: string
  body: Buffer
}

/**
 * The local API server behind a recording proxy, both on 127.0.0.1 free ports: kubectl talks to
 * the proxy (its kubeconfig points there), which keeps every request that carries a body and
 * forwards it unchanged, so tests can see what kubectl really sent (protobuf or JSON) and the
 * server still answers it.
 */
export interface CapturingApiServer {
  kubeconfig: string
  store: LocalObjectStore
  captured: CapturedRequest[]
  /** Requests with a body whose path (without query) ends with `suffix`. */
  sentTo(suffix: string): CapturedRequest[]
  close(): Promise<void>
}

export async function startCapturingApiServer(): Promise<CapturingApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mygate-capture-'))
  const store = createObjectStore({stateFile: join(dir, 'state.json')})
  const api: ApiServer = await startApiServer({store})
  const captured: CapturedRequest[] = []
  const proxy: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      if (body.length > 0) {
        captured.push({method: req.method ?? '', path: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), accept: String(req.headers.accept ?? ''), body})
      }
      const upstream = request(`${api.url}${req.url}`, {method: req.method, headers: req.headers}, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      upstream.on('error', () => res.destroy())
      upstream.end(body)
    })
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const address = proxy.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const kubeconfig = writeKubeconfig(`http://127.0.0.1:${port}`, dir)
  return {
    kubeconfig,
    store,
    captured,
    sentTo: (suffix) => captured.filter((request) => request.path.split('?')[0].endsWith(suffix)),
    async close() {
      proxy.closeAllConnections()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
      await api.close()
      await store.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
