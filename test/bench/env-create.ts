/**
 * Benchmark: `mygate env create` of every bundled service in one region on the local control
 * plane (default simulated timings), through the built CLI as a user runs it.
 * Reports wall time and Kubernetes API requests per object applied, from the command's --json.
 * Targets: under 5 s wall; at most 3 requests per object applied (waits are watches, not polls).
 * The daemon start is measured separately (`local start`), so the create figure is the create.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const CLI = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

interface Row {
  name: string
  value: string
  target: string
  met: boolean
}

function run(args: string[], env: NodeJS.ProcessEnv): {ms: number; stdout: string; status: number | null; stderr: string} {
  const started = performance.now()
  const result = spawnSync(process.execPath, [CLI, ...args], {env, encoding: 'utf8'})
  return {ms: performance.now() - started, stdout: result.stdout, stderr: result.stderr, status: result.status}
}

export async function main(): Promise<Row[]> {
  const home = mkdtempSync(join(tmpdir(), 'mygate-bench-env-'))
  const env = {...process.env, MYGATE_HOME: home, CI: 'true'}
  try {
    const start = run(['local', 'start', '--json'], env)
    if (start.status !== 0) throw new Error(`local start failed: ${start.stderr}`)
    const create = run(['env', 'create', 'bench', '--json'], env)
    if (create.status !== 0) throw new Error(`env create failed (${create.status}): ${create.stderr}`)
    const result = JSON.parse(create.stdout).result as {apiRequests: number; applied: {created: number; configured: number; unchanged: number}}
    const applied = result.applied.created + result.applied.configured + result.applied.unchanged
    const again = run(['env', 'create', 'bench', '--json'], env)
    const rerun = JSON.parse(again.stdout).result as {apiRequests: number; changed: boolean}
    const rows: Row[] = [
      {name: 'local start (daemon up)', value: `${start.ms.toFixed(0)} ms`, target: '-', met: true},
      {name: 'env create, all services, 1 region', value: `${create.ms.toFixed(0)} ms`, target: '< 5000 ms', met: create.ms < 5000},
      {name: 'objects applied', value: String(applied), target: '-', met: true},
      {name: 'API requests per object applied', value: (result.apiRequests / applied).toFixed(2), target: '<= 3', met: result.apiRequests / applied <= 3},
      {name: 're-run (converged, no change)', value: `${again.ms.toFixed(0)} ms, changed=${rerun.changed}`, target: 'changed=false', met: rerun.changed === false},
    ]
    console.log('\n## env create (local control plane)')
    for (const row of rows) console.log(`${row.name.padEnd(40)} ${row.value.padEnd(28)} target ${row.target.padEnd(14)} ${row.met ? 'met' : 'MISSED'}`)
    return rows
  } finally {
    run(['local', 'stop'], env)
    rmSync(home, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
