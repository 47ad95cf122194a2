/**
 * Benchmark (not a timed test): `node --import tsx test/bench/render.ts`, also called from the
 * top-level bench runner through main().
 *
 * (a) Startup: median wall time of >= 10 runs each of `node -e 0`, `mygate --version` and
 *     `mygate render --help`, as ratios to `node -e 0` measured in the same run.
 *     Targets: --version <= 2.0x, render --help <= 2.5x.
 * (b) Render: a generated catalog of 500 app services rendered for prod with the mesh on, every
 *     object schema-validated and serialized to YAML, in a fresh Node process running the built
 *     code (dist/), against `kubectl.1.33 kustomize` building the same objects from plain files
 *     with a common label. Both are whole processes, so both pay their start-up. Target: ratio
 *     <= 1.0.
 * A missed target prints MISSED; only a crash (or a missing kubectl.1.33) exits non-zero.
 * Needs `npm run build` first (dist/ and oclif.manifest.json).
 */
import {spawnSync} from 'node:child_process'
import {existsSync, realpathSync} from 'node:fs'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {createCatalog} from '../../src/catalog/catalog.js'
import type {ServiceDescriptor} from '../../src/catalog/types.js'
import type {EnvironmentSpec} from '../../src/config/types.js'
import {renderEnvironment} from '../../src/render/render-environment.js'
import {toYamlStream} from '../../src/render/output.js'
import {testEnvironment, testService} from '../helpers/builders.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = join(REPO_ROOT, 'bin/run.js')
const STARTUP_RUNS = 11
const RENDER_RUNS = 3
const SERVICE_COUNT = 500
const KUSTOMIZE_BUDGET_MS = 60_000

export interface BenchRow {
  name: string
  medianMs: number
  ratio: number
  target: number
  met: boolean
}

export interface RenderBenchResult {
  rows: BenchRow[]
  objects: number
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Wall time of one process run; throws (a crash) when it does not exit 0. */
function timeRun(command: string, args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): {ms: number; stdout: string} {
  const start = performance.now()
  const result = spawnSync(command, args, {cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 1 << 30})
  const ms = performance.now() - start
  if (result.error) throw result.error
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.split('\n').slice(0, 3).join(' ')}`)
  }
  return {ms, stdout: result.stdout}
}

function medianOf(runs: number, fn: () => number): number {
  return median(Array.from({length: runs}, fn))
}

/** kubectl on PATH is the gcloud dispatcher; the real 1.33 binary sits beside its link target. */
export function findKubectl133(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'kubectl')
    if (!existsSync(candidate)) continue
    const real = join(dirname(realpathSync(candidate)), 'kubectl.1.33')
    if (existsSync(real)) return real
  }
  throw new Error('kubectl.1.33 not found: expected it beside the target of `kubectl` on PATH (dirname $(readlink -f $(command -v kubectl)))')
}

/** 500 app services, each calling up to two earlier ones, so network policies have real peers. */
export function generateServices(count: number): ServiceDescriptor[] {
  return Array.from({length: count}, (_, i) =>
    testService({
      name: `svc-${String(i).padStart(3, '0')}`,
      dependencies: {services: [i - 1, i - 2].filter((j) => j >= 0).map((j) => `svc-${String(j).padStart(3, '0')}`)},
      secrets: [{env: 'API_KEY', secretName: `svc-${i}-api`, key: 'key'}],
    }),
  )
}

const BENCH_ENV: Partial<EnvironmentSpec> = {name: 'bench', tier: 'prod', mesh: true}

/** The child process: built code only, catalog from a JSON file, output to a file. */
function renderScript(catalogFile: string, outFile: string): string {
  const dist = (path: string) => JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist/src', path)).href)
  return `
import {readFileSync, writeFileSync} from 'node:fs'
const {createCatalog} = await import(${dist('catalog/catalog.js')})
const {renderEnvironment} = await import(${dist('render/render-environment.js')})
const {validateObjects} = await import(${dist('render/validate.js')})
const {toYamlStream} = await import(${dist('render/output.js')})
const {services, env} = JSON.parse(readFileSync(${JSON.stringify(catalogFile)}, 'utf8'))
const {objects} = await renderEnvironment({catalog: createCatalog(services), env})
await validateObjects(objects)
writeFileSync(${JSON.stringify(outFile)}, toYamlStream(objects))
process.stdout.write(String(objects.length))
`
}

async function benchStartup(): Promise<BenchRow[]> {
  const node = medianOf(STARTUP_RUNS, () => timeRun(process.execPath, ['-e', '0']).ms)
  const version = medianOf(STARTUP_RUNS, () => timeRun(process.execPath, [CLI, '--version']).ms)
  const help = medianOf(STARTUP_RUNS, () => timeRun(process.execPath, [CLI, 'render', '--help']).ms)
  return [
    {name: 'node -e 0', medianMs: node, ratio: 1, target: 1, met: true},
    {name: 'mygate --version', medianMs: version, ratio: version / node, target: 2.0, met: version / node <= 2.0},
    {name: 'mygate render --help', medianMs: help, ratio: help / node, target: 2.5, met: help / node <= 2.5},
  ]
}

async function benchRender(work: string): Promise<{rows: BenchRow[]; objects: number}> {
  if (!existsSync(join(REPO_ROOT, 'dist/src/render/render-environment.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first')
  }
  const kubectl = findKubectl133()
  const services = generateServices(SERVICE_COUNT)
  const env = testEnvironment(BENCH_ENV)
  const catalogFile = join(work, 'catalog.json')
  await writeFile(catalogFile, JSON.stringify({services, env}))
  const script = join(work, 'render.mjs')
  await writeFile(script, renderScript(catalogFile, join(work, 'mygate-out.yaml')))

  // The same objects as plain files (one per service) for kustomize, plus a common label.
  const rendered = await renderEnvironment({catalog: createCatalog(services), env})
  const base = join(work, 'kustomize')
  const resources: string[] = []
  await rm(base, {recursive: true, force: true})
  await mkdir(base)
  const groups: Array<[string, typeof rendered.objects]> = [['00-baseline', rendered.baseline], ...Object.entries(rendered.byService)]
  for (const [name, objects] of groups) {
    await writeFile(join(base, `${name}.yaml`), toYamlStream(objects))
    resources.push(`${name}.yaml`)
  }
  await writeFile(
    join(base, 'kustomization.yaml'),
    ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'labels:', '  - pairs:', '      bench.mygate.dev/run: "1"', 'resources:', ...resources.map((r) => `  - ${r}`), ''].join('\n'),
  )

  let objects = 0
  const ours = medianOf(RENDER_RUNS, () => {
    const run = timeRun(process.execPath, [script])
    objects = Number(run.stdout)
    return run.ms
  })
  let kustomizeObjects = 0
  // kustomize's build grows much faster than linearly with the object count (about 100 s for
  // 6,000 objects here): stop repeating once a minute is spent, the median is then of fewer runs.
  const kustomizeTimes: number[] = []
  while (kustomizeTimes.length < RENDER_RUNS && kustomizeTimes.reduce((a, b) => a + b, 0) < KUSTOMIZE_BUDGET_MS) {
    const run = timeRun(kubectl, ['kustomize', base])
    kustomizeObjects = run.stdout.split(/^---$/m).length
    kustomizeTimes.push(run.ms)
  }
  const kustomize = median(kustomizeTimes)
  if (objects !== rendered.objects.length || kustomizeObjects !== objects) {
    throw new Error(`object counts differ: mygate ${objects}, in-process ${rendered.objects.length}, kustomize ${kustomizeObjects}`)
  }
  return {
    objects,
    rows: [
      {name: `kubectl.1.33 kustomize, ${kustomizeTimes.length} run(s) (${objects} objects)`, medianMs: kustomize, ratio: 1, target: 1, met: true},
      {name: `mygate render+validate ${SERVICE_COUNT} services`, medianMs: ours, ratio: ours / kustomize, target: 1.0, met: ours / kustomize <= 1.0},
    ],
  }
}

function printTable(title: string, rows: BenchRow[]): void {
  const lines = [title, `  ${'measure'.padEnd(48)} ${'median'.padStart(9)} ${'ratio'.padStart(7)}  target`]
  for (const row of rows) {
    const target = row.target === 1 && row.ratio === 1 ? 'baseline' : `<= ${row.target.toFixed(1)}x ${row.met ? 'ok' : 'MISSED'}`
    lines.push(`  ${row.name.padEnd(48)} ${`${row.medianMs.toFixed(0)} ms`.padStart(9)} ${`${row.ratio.toFixed(2)}x`.padStart(7)}  ${target}`)
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}

/** Runs both benchmarks, prints the tables and returns the figures. Throws only on a crash. */
export async function main(): Promise<RenderBenchResult> {
  const work = await mkdtemp(join(tmpdir(), 'mygate-bench-render-'))
  try {
    const startup = await benchStartup()
    printTable(`Startup (median of ${STARTUP_RUNS} runs, ratio to node -e 0)`, startup)
    const render = await benchRender(work)
    printTable(`Render (median of up to ${RENDER_RUNS} runs, whole processes, ratio to kustomize)`, render.rows)
    return {rows: [...startup, ...render.rows], objects: render.objects}
  } finally {
    await rm(work, {recursive: true, force: true})
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench crashed: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  })
}
