/**
 * Benchmark: `mygate db status` of all 8 bundled databases on the local control plane, through
 * the built CLI as a user runs it, after `env create` (one region, default simulated timings:
 * a Job's pod starts in 200 ms and runs 500 ms, as MYGATE_LOCAL_POD_STARTUP_MS and
 * MYGATE_LOCAL_JOB_RUN_MS say). Since status-all.js, ONE Job reads every replica set (it was one Job
 * per database: 1.75 s), while one redis-cli Job reads Redis beside it. Reports the command's own figure (`elapsedMs`), the wall time including
 * Node and oclif start-up, and the machine's load average while it ran (the figures are shared-CPU
 * figures: read them beside it). Target (issue 10): under 1 s.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {loadavg} from 'node:os'
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

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

export async function main(): Promise<Row[]> {
  const home = mkdtempSync(join(tmpdir(), 'mygate-bench-db-'))
  const env = {...process.env, MYGATE_HOME: home, CI: 'true'}
  try {
    const create = run(['env', 'create', 'bench', '--json'], env)
    if (create.status !== 0) throw new Error(`env create failed (${create.status}): ${create.stderr}`)
    const walls: number[] = []
    const inner: number[] = []
    for (let i = 0; i < 5; i++) {
      const status = run(['db', 'status', '--env', 'bench', '--json'], env)
      if (status.status !== 0) throw new Error(`db status failed (${status.status}): ${status.stderr}`)
      const result = JSON.parse(status.stdout).result as {elapsedMs: number; databases: Array<{verdict: string}>; redis?: {verdict: string}}
      if (result.databases.length !== 8) throw new Error(`expected 8 databases, got ${result.databases.length}`)
      if (!result.redis) throw new Error('expected Redis in the report')
      walls.push(status.ms)
      inner.push(result.elapsedMs)
    }
    const rows: Row[] = [
      {name: 'db status, 8 databases (command, median of 5)', value: `${median(inner).toFixed(0)} ms`, target: '< 1000 ms', met: median(inner) < 1000},
      {name: 'db status, 8 databases (wall, median of 5)', value: `${median(walls).toFixed(0)} ms`, target: '-', met: true},
      {name: 'load average (1 min) during the runs', value: loadavg()[0].toFixed(2), target: '-', met: true},
    ]
    console.log('\n## db status (local control plane)')
    for (const row of rows) console.log(`${row.name.padEnd(48)} ${row.value.padEnd(12)} target ${row.target.padEnd(12)} ${row.met ? 'met' : 'MISSED'}`)
    return rows
  } finally {
    run(['local', 'stop'], env)
    rmSync(home, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
