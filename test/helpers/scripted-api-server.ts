import {mkdtempSync, rmSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {KubeClient, type KubeClientOptions} from '../../src/kube/client.js'
import {writeKubeconfigFile} from '../../src/kube/kubeconfig/files.js'

/**
 * A plain HTTP server on 127.0.0.1 (a free port) whose answers a test scripts request by request,
 * for the transport's retry and watch tests: real sockets, real keep-alive, real resets. Discovery
 * of v1 (configmaps, namespaces) and coordination.k8s.io/v1 (leases) is answered, and not recorded.
 */

export interface SeenRequest {
  method: string
  url: URL
  headers: IncomingMessage['headers']
  body: string
  at: number
}

/** Return true when the request was answered; false to fall back to the default (discovery, else 404). */
export type Script = (request: SeenRequest, response: ServerResponse, socket: Socket) => boolean | void | Promise<boolean | void>

export interface ScriptedApiServer {
  url: string
  /** Every request but discovery, in arrival order. */
  seen: SeenRequest[]
  script: Script
  client(options?: KubeClientOptions): Promise<KubeClient>
  close(): Promise<void>
}

const DISCOVERY: Record<string, unknown> = {
  '/api/v1': {kind: 'APIResourceList', groupVersion: 'v1', resources: [{name: 'configmaps', kind: 'ConfigMap', namespaced: true}, {name: 'namespaces', kind: 'Namespace', namespaced: false}]},
  '/apis/coordination.k8s.io/v1': {kind: 'APIResourceList', groupVersion: 'coordination.k8s.io/v1', resources: [{name: 'leases', kind: 'Lease', namespaced: true}]},
}

export function status(response: ServerResponse, code: number, reason: string, headers: Record<string, string> = {}): void {
  response.writeHead(code, {'Content-Type': 'application/json', ...headers})
  response.end(JSON.stringify({kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `${reason} (scripted)`, reason, code}))
}

export function json(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, {'Content-Type': 'application/json'})
  response.end(JSON.stringify(body))
}

export async function startScriptedApiServer(script: Script = () => false, options: {port?: number} = {}): Promise<ScriptedApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mygate-scripted-'))
  const sockets = new Set<Socket>()
  const clients: KubeClient[] = []
  const state: ScriptedApiServer = {
    url: '',
    seen: [],
    script,
    async client(options = {}) {
      const kubeconfigPath = join(dir, 'kubeconfig.yaml')
      await writeKubeconfigFile(kubeconfigPath, {
        clusters: [{name: 'scripted', cluster: {server: state.url}}],
        users: [{name: 'scripted', user: {token: 'scripted-token'}}],
        contexts: [{name: 'scripted', context: {cluster: 'scripted', user: 'scripted'}}],
      })
      const client = await KubeClient.connect({kubeconfigPath, context: 'scripted'}, options)
      clients.push(client)
      return client
    },
    async close() {
      for (const client of clients) client.close()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      rmSync(dir, {recursive: true, force: true})
    },
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', state.url)
      const seen: SeenRequest = {method: req.method ?? 'GET', url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now()}
      if (DISCOVERY[url.pathname]) return json(res, 200, DISCOVERY[url.pathname])
      state.seen.push(seen)
      if (await state.script(seen, res, req.socket)) return
      if (!res.headersSent) status(res, 404, 'NotFound')
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}
