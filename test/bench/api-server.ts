/**
 * Benchmark of the local API server (run: node --expose-gc --import tsx test/bench/api-server.ts).
 * All numbers come from one run against the same machine: latency ratios are relative to a bare
 * node:http server answering a fixed JSON body over the same keep-alive loopback connection.
 */
import {Agent, createServer, request, type Server} from 'node:http'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {startApiServer} from '../../src/local-cluster/api-server/index.js'
import {createObjectStore, type LocalObjectStore} from '../../src/local-cluster/store/index.js'
import type {KubeObject} from '../../src/kube/types.js'

interface Row {
  metric: string
  value: string
  target: string
  met?: boolean
}

const agent = new Agent({keepAlive: true, maxSockets: 1})

function call(base: string, method: string, path: string, body?: string, contentType = 'application/json'): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {method, agent, headers: body ? {'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body)} : {}}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString()}))
    })
    req.on('error', reject)
    req.end(body)
  })
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

async function measure(iterations: number, run: (i: number) => Promise<unknown>): Promise<{p50: number; p99: number}> {
  for (let i = 0; i < Math.min(200, iterations); i++) await run(i)
  const times: number[] = []
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint()
    await run(i)
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  times.sort((a, b) => a - b)
  return {p50: percentile(times, 50), p99: percentile(times, 99)}
}

function deployment(name: string, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name, namespace, labels: {app: name, 'app.kubernetes.io/part-of': 'mygate'}},
    spec: {
      replicas: 3,
      selector: {matchLabels: {app: name}},
      template: {
        metadata: {labels: {app: name}},
        spec: {containers: [{name: 'app', image: `registry.example.com/${name}:1.2.3`, ports: [{containerPort: 8080}], env: [{name: 'MODE', value: 'prod'}], resources: {requests: {cpu: '100m', memory: '128Mi'}}}]},
      },
    },
  }
}

async function startBareServer(body: string): Promise<{url: string; server: Server}> {
  const server = createServer((req, res) => {
    const answer = (): void => {
      res.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)})
      res.end(body)
    }
    // A request with a body is answered once the body is read, as any real handler must.
    if (req.method === 'GET') answer()
    else {
      req.resume()
      req.on('end', answer)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, server}
}

const ms = (n: number): string => `${n.toFixed(3)} ms`

async function latencyRows(store: LocalObjectStore, url: string, label: string, iterations: number): Promise<Row[]> {
  for (let i = 0; i < 10; i++) store.create({group: 'apps', resource: 'deployments'}, deployment(`web-${i}`))
  const sample = JSON.stringify(store.get({group: 'apps', resource: 'deployments'}, 'default', 'web-0'))
  const bare = await startBareServer(sample)
  const floor = await measure(iterations, () => call(bare.url, 'GET', '/'))
  // The same floor for a request that carries a small body (what a PATCH costs on the wire).
  const floorWithBody = await measure(iterations, (i) => call(bare.url, 'PATCH', '/', JSON.stringify({metadata: {labels: {n: String(i)}}}), 'application/merge-patch+json'))
  bare.server.close()
  const get = await measure(iterations, () => call(url, 'GET', '/apis/apps/v1/namespaces/default/deployments/web-0'))
  const list = await measure(iterations, () => call(url, 'GET', '/apis/apps/v1/namespaces/default/deployments'))
  const patch = await measure(iterations, (i) =>
    call(url, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/web-1', JSON.stringify({metadata: {labels: {n: String(i)}}}), 'application/merge-patch+json'),
  )
  const rows: Row[] = [
    {metric: `${label}bare node:http floor p50 / p99`, value: `${ms(floor.p50)} / ${ms(floor.p99)}`, target: '-'},
    {metric: `${label}bare floor, request with a body p50 / p99`, value: `${ms(floorWithBody.p50)} / ${ms(floorWithBody.p99)}`, target: '-'},
  ]
  for (const [name, result] of [['get', get], ['list (10 items)', list], ['patch (merge)', patch]] as const) {
    const ratio = result.p50 / floor.p50
    const extra = name.startsWith('patch') ? `, ${(result.p50 / floorWithBody.p50).toFixed(2)}x of the body floor` : ''
    rows.push({metric: `${label}${name} p50 / p99 (p50 ratio)`, value: `${ms(result.p50)} / ${ms(result.p99)} (${ratio.toFixed(2)}x${extra})`, target: 'p50 <= 2x', met: ratio <= 2})
  }
  return rows
}

function heapUsed(): number {
  globalThis.gc?.()
  globalThis.gc?.()
  return process.memoryUsage().heapUsed
}

async function measureAll(): Promise<Row[]> {
  const rows: Row[] = []
  const iterations = Number(process.env.BENCH_ITERATIONS ?? 2000)

  // 1. Latency in memory (no state file): the server's own cost.
  {
    const store = createObjectStore()
    const server = await startApiServer({store})
    rows.push(...(await latencyRows(store, server.url, '', iterations)))

    // 2. 10,000 objects: list time and memory.
    const before = heapUsed()
    for (let i = 0; i < 10_000; i++) store.create({group: 'apps', resource: 'deployments'}, deployment(`svc-${i}`, 'kube-public'))
    const perTenThousand = (heapUsed() - before) / 1024 / 1024
    rows.push({metric: 'memory per 10,000 Deployments (heapUsed delta)', value: `${perTenThousand.toFixed(1)} MiB${globalThis.gc ? '' : ' (no --expose-gc: approximate)'}`, target: '< 100 MiB', met: perTenThousand < 100})
    const start = process.hrtime.bigint()
    const listed = await call(server.url, 'GET', '/apis/apps/v1/namespaces/kube-public/deployments')
    const listMs = Number(process.hrtime.bigint() - start) / 1e6
    const count = (JSON.parse(listed.body) as {items: unknown[]}).items.length
    rows.push({metric: `list 10,000 objects over HTTP (${count} items, ${(listed.body.length / 1024 / 1024).toFixed(1)} MiB)`, value: ms(listMs), target: '-'})

    // 3. 50 concurrent watches, each must see every event of N writes.
    const writes = 1000
    const watchers = 50
    const counts = new Array<number>(watchers).fill(0)
    const rv = store.resourceVersion()
    const streams = await Promise.all(
      counts.map(
        (_, w) =>
          new Promise<() => void>((resolve) => {
            const req = request(`${server.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`, (res) => {
              let buffer = ''
              res.on('data', (chunk: Buffer) => {
                buffer += chunk.toString()
                const lines = buffer.split('\n')
                buffer = lines.pop()!
                counts[w] += lines.filter((l) => l.includes('"ADDED"')).length
              })
              resolve(() => req.destroy())
            })
            req.end()
          }),
      ),
    )
    const watchStart = process.hrtime.bigint()
    for (let i = 0; i < writes; i++) store.create({group: '', resource: 'configmaps'}, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: `w-${i}`, namespace: 'default'}, data: {i: String(i)}})
    const deadline = Date.now() + 30_000
    while (counts.some((c) => c < writes) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    const watchMs = Number(process.hrtime.bigint() - watchStart) / 1e6
    for (const stop of streams) stop()
    const complete = counts.every((c) => c === writes)
    rows.push({metric: `${watchers} watches x ${writes} writes: all events delivered`, value: `${complete ? 'yes' : `NO (min ${Math.min(...counts)})`} in ${ms(watchMs)}`, target: 'every event', met: complete})
    await server.close()
    await store.close()
  }

  // 4. The same latencies with a state file: every acknowledged write is fsynced first.
  {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-bench-'))
    const store = createObjectStore({stateFile: join(dir, 'state.json')})
    const server = await startApiServer({store})
    rows.push(...(await latencyRows(store, server.url, 'durable: ', Math.min(iterations, 500))).filter((r) => r.metric.includes('patch')).map((r) => ({...r, target: 'informational (fsync per write)', met: undefined})))
    await server.close()
    await store.close()
    rmSync(dir, {recursive: true, force: true})
  }
  return rows
}

function printTable(rows: Row[]): void {
  const widths = [Math.max(...rows.map((r) => r.metric.length)), Math.max(...rows.map((r) => r.value.length)), Math.max(...rows.map((r) => r.target.length))]
  const line = (a: string, b: string, c: string, d: string): string => `${a.padEnd(widths[0])}  ${b.padEnd(widths[1])}  ${c.padEnd(widths[2])}  ${d}`
  process.stdout.write(`${line('metric', 'value', 'target', 'result')}\n`)
  for (const row of rows) process.stdout.write(`${line(row.metric, row.value, row.target, row.met === undefined ? '' : row.met ? 'met' : 'MISSED')}\n`)
}

/** Runs the benchmark and prints its table (also from the top-level bench runner). */
export async function main(): Promise<Row[]> {
  try {
    const rows = await measureAll()
    process.stdout.write('\n## local API server\n')
    printTable(rows)
    return rows
  } finally {
    agent.destroy()
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
