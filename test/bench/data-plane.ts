/**
 * Benchmark of the local MongoDB data plane (run alone: node --import tsx test/bench/data-plane.ts).
 * - memory: 1,000,000 documents across the environment's 8 databases (3 members each) in one
 *   process, resident memory measured after a full GC, against 1 GiB; with the time to snapshot
 *   them to disk and to load them back;
 * - API server p50 with the generator writing (the 8 services' traffic, through real pods, the
 *   kubelet hooks and the data plane's tick) against the same cluster with the writes stopped,
 *   in alternating rounds on one keep-alive connection (this machine is noisy).
 */
import {Agent, request} from 'node:http'
import {mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

import type {KubeObject} from '../../src/kube/types.js'
import {startLocalCluster} from '../../src/local-cluster/cluster.js'
import {replSetInitiate} from '../../src/local-cluster/data-plane/commands.js'
import {DataPlane} from '../../src/local-cluster/data-plane/data-plane.js'
import {newMember} from '../../src/local-cluster/data-plane/engine.js'
import {hashPassword} from '../../src/local-cluster/data-plane/jobs/session.js'
import {SERVICE_COLLECTIONS} from '../../src/local-cluster/data-plane/workload.js'
import {credentialsSecret, headlessService, memberHost, mongodStatefulSet, namespace, NAMESPACE, opJob, opsConfigMap} from '../helpers/data-plane.js'

interface Row {
  metric: string
  value: string
  target: string
  met?: boolean
}

const DATABASES = Object.keys(SERVICE_COLLECTIONS)

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
function rss(): number {
  gc()
  gc()
  return process.memoryUsage().rss
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`

/** 8 sets x 3 members on synthetic time, primaries elected, then the workload until `target` documents. */
async function seed(dir: string, target: number): Promise<{documents: number; writes: number; jsonBytes: number; seedMs: number; compactMs: number; resident: number}> {
  let now = Date.UTC(2026, 11, 1)
  const dataPlane = new DataPlane({stateDir: dir, autoTick: false, clock: () => now, resolveHost: (_set, host) => host.split(':')[0]})
  const engine = dataPlane.engine
  for (const db of DATABASES) {
    for (const i of [0, 1, 2]) {
      const key = `${db}-${i}`
      const member = newMember(key, {cluster: 'bench', namespace: NAMESPACE, pod: key, podUid: key, claim: `data-${key}`}, `${db}-db`, 27017, now)
      member.users = [hashPassword('root', 'pw', 'salt', 1000)]
      engine.members.set(key, member)
      engine.setUp(key, true, now)
    }
    replSetInitiate({engine, now, clusterSetOf: () => 'bench'}, engine.members.get(`${db}-0`)!, {_id: `${db}-db`, members: [0, 1, 2].map((i) => ({_id: i, host: `${db}-${i}:27017`}))})
  }
  for (let i = 0; i < 120 && [...engine.sets.values()].some((s) => !engine.primaryOf(s)); i++) engine.tick((now += 100))
  const sets = [...engine.sets.values()]
  const started = process.hrtime.bigint()
  let documents = 0
  let writes = 0
  while (documents < target) {
    for (let round = 0; round < 5000; round++) {
      now += 1
      for (const set of sets) {
        engine.writeStep(set, now)
        writes++
      }
    }
    engine.tick(now)
    await dataPlane.flush()
    documents = sets.reduce((n, s) => n + s.data.totalDocuments(), 0)
  }
  const seedMs = Number(process.hrtime.bigint() - started) / 1e6
  const jsonBytes = sets.reduce((n, s) => n + s.data.stats().reduce((m, c) => m + c.sizeBytes, 0), 0)
  const compactStart = process.hrtime.bigint()
  await dataPlane.compact()
  const compactMs = Number(process.hrtime.bigint() - compactStart) / 1e6
  const resident = rss()
  await dataPlane.close()
  return {documents, writes, jsonBytes, seedMs, compactMs, resident}
}

async function seedMillion(dir: string, target: number): Promise<{rows: Row[]}> {
  const baseline = rss()
  const {documents, writes, jsonBytes, seedMs, compactMs, resident} = await seed(dir, target)
  const snapshotBytes = statSync(join(dir, 'snapshot.jsonl')).size
  const rows: Row[] = [
    {metric: `documents held (8 databases x 3 members, ${writes.toLocaleString('en')} writes)`, value: `${documents.toLocaleString('en')} docs, ${mib(jsonBytes)} of BSON`, target: '1,000,000 (~200 MB of JSON)'},
    {metric: 'resident memory of the process holding them (after GC)', value: `${mib(resident)} (${mib(resident - baseline)} over the empty process)`, target: '<= 1 GiB', met: resident <= 1024 * 1024 * 1024},
    {metric: 'generator + log throughput while seeding', value: `${Math.round(writes / (seedMs / 1000)).toLocaleString('en')} writes/s`, target: '-'},
    {metric: 'snapshot to disk (compaction; the daemon pauses meanwhile)', value: `${(compactMs / 1000).toFixed(1)} s, ${mib(snapshotBytes)}`, target: '-'},
  ]
  rss()
  const loadStart = process.hrtime.bigint()
  const reloaded = new DataPlane({stateDir: dir, autoTick: false, resolveHost: (_set, host) => host.split(':')[0]})
  const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6
  const reloadedDocs = [...reloaded.engine.sets.values()].reduce((n, s) => n + s.data.totalDocuments(), 0)
  rows.push({metric: 'load after a restart (snapshot + log)', value: `${(loadMs / 1000).toFixed(1)} s, ${reloadedDocs.toLocaleString('en')} docs, ${mib(rss())} resident`, target: 'every document', met: reloadedDocs === documents && reloaded.warnings.length === 0})
  await reloaded.close()
  return {rows}
}

const agent = new Agent({keepAlive: true, maxSockets: 1})
function get(base: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {agent}, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

/** p50 of GETs sent back to back for `windowMs` (long enough for the generator to write meanwhile). */
async function p50(base: string, path: string, windowMs: number): Promise<number> {
  const times: number[] = []
  const end = Date.now() + windowMs
  while (Date.now() < end) {
    const start = process.hrtime.bigint()
    await get(base, path)
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

/** The environment's 8 databases as StatefulSets in one cluster, initiated by Jobs, written by their services. */
async function apiImpact(dir: string, windowMs: number): Promise<Row[]> {
  const dataPlane = new DataPlane({stateDir: join(dir, 'dp')})
  const cluster = await startLocalCluster({name: 'bench', region: 'local-1', stateDir: join(dir, 'cluster'), dataPlane, timing: {podStartupMs: 20, readinessDelayMs: 10, jobRunMs: 50}})
  dataPlane.start()
  /** POSTs objects to the cluster's API (kind -> its plural, the built-in way). */
  const store = {create: async (objects: KubeObject[]) => {
    for (const object of objects) {
      const path = object.kind === 'Namespace' ? '/api/v1/namespaces' : `/${object.apiVersion === 'v1' ? 'api/v1' : `apis/${object.apiVersion}`}/namespaces/${object.metadata.namespace}/${object.kind.toLowerCase()}s`
      await new Promise<void>((resolve, reject) => {
        const body = JSON.stringify(object)
        const req = request(`${cluster.url}${path}`, {method: 'POST', headers: {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)}}, (res) => {
          res.resume()
          res.on('end', () => resolve())
        })
        req.on('error', reject)
        req.end(body)
      })
    }
  }}
  await store.create([namespace(), opsConfigMap(), {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'mygate'}}, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'probe', namespace: 'default'}, data: {a: '1'}}])
  for (const db of DATABASES) await store.create([credentialsSecret(`${db}-db`), headlessService(`${db}-db`), mongodStatefulSet(`${db}-db`)])
  await new Promise((resolve) => setTimeout(resolve, 1500))
  for (const db of DATABASES) {
    const hosts = [0, 1, 2].map((i) => memberHost(`${db}-db`, i))
    await store.create([opJob(`init-${db}`, `${db}-db`, 'initiate', {uri: `mongodb://${hosts[0]}/?directConnection=true`, params: {set: `${db}-db`, members: hosts.map((host) => ({host})), settings: {electionTimeoutMillis: 500}}})])
  }
  const deadline = Date.now() + 30_000
  while (dataPlane.summary().sets.filter((s) => s.primary).length < DATABASES.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200))
  const primaries = dataPlane.summary().sets.filter((s) => s.primary).length
  const apps = DATABASES.map((db): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name: db, namespace: 'mygate'},
    spec: {replicas: 2, selector: {matchLabels: {'app.kubernetes.io/name': db}}, template: {metadata: {labels: {'app.kubernetes.io/name': db, 'app.kubernetes.io/version': '1.0.0'}}, spec: {containers: [{name: 'app', image: `mygate/${db}:1.0.0`}]}}},
  }))
  const scaleApps = async (replicas: number) => {
    for (const app of apps) {
      await new Promise<void>((resolve, reject) => {
        const body = JSON.stringify({spec: {replicas}})
        const req = request(`${cluster.url}/apis/apps/v1/namespaces/mygate/deployments/${app.metadata.name}`, {method: 'PATCH', headers: {'Content-Type': 'application/merge-patch+json', 'Content-Length': Buffer.byteLength(body)}}, (res) => {
          res.resume()
          res.on('end', () => resolve())
        })
        req.on('error', reject)
        req.end(body)
      })
    }
    await new Promise((resolve) => setTimeout(resolve, 3000))
  }
  await store.create(apps)
  const path = '/api/v1/namespaces/default/configmaps/probe'
  await p50(cluster.url, path, 500)
  const idle: number[] = []
  const writing: number[] = []
  let docsBefore = 0
  let docsAfter = 0
  for (let round = 0; round < 3; round++) {
    await scaleApps(0)
    idle.push(await p50(cluster.url, path, windowMs))
    await scaleApps(2)
    docsBefore = dataPlane.summary().documents
    writing.push(await p50(cluster.url, path, windowMs))
    docsAfter = dataPlane.summary().documents
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const ratio = median(writing) / median(idle)
  const rows: Row[] = [
    {metric: 'replica sets formed by initiate Jobs (8 x 3 members, one cluster)', value: `${primaries} with a primary`, target: '8', met: primaries === DATABASES.length},
    {metric: 'API GET p50: writes stopped / generator writing (median of 3 rounds)', value: `${median(idle).toFixed(3)} ms / ${median(writing).toFixed(3)} ms = ${ratio.toFixed(2)}x`, target: '<= 1.10x', met: ratio <= 1.1},
    {metric: 'documents written during the last measuring round', value: `${docsAfter - docsBefore}`, target: '-'},
  ]
  await cluster.stop()
  await dataPlane.close()
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
  const dir = mkdtempSync(join(tmpdir(), 'mygate-bench-dp-'))
  try {
    const target = Number(process.env.BENCH_DOCUMENTS ?? 1_000_000)
    const rows = [...(await apiImpact(join(dir, 'api'), Number(process.env.BENCH_WINDOW_MS ?? 4000))), ...(await seedMillion(join(dir, 'memory'), target)).rows]
    process.stdout.write('\n## local data plane\n')
    printTable(rows)
    return rows
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
