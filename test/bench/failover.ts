/**
 * Benchmark (issue 11 "Speed"): RTO of a forced failover and of a planned switchover, through the
 * built CLI as a user runs them, on the local provider: one environment, two regions, dev tier,
 * all services. Simulated timings as the local control plane ships them: MongoDB's own (10 s
 * election time-out, 2 s heartbeats, priority takeover after (rank + 1) x 10 s), pods starting in
 * 200 ms, database Jobs running 500 ms. Measured with `failover drill --json`, which runs both
 * kinds on a fresh environment in the order a real outage brings them:
 *   forced   the active region (west) taken down with the region outage fault, then a forced
 *            failover to east: from the outage to the gateway verified in east. Target 30 s.
 *   planned  the failback to west once it is back, fenced and resynced: a planned switchover of
 *            every database, its run's RTO (start to the gateway verified). Target 15 s.
 * (A forced failover right after a planned switchover the other way first waits out MongoDB's
 * 60 s step-down freeze of the member that stepped down; the drill's order measures recovery.)
 * Prints MISSED for a missed target; only a crash fails the run.
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

interface RunJson {
  steps: Array<{id: string; kind: string; startedAt?: string; finishedAt?: string}>
}

function cli(args: string[], env: NodeJS.ProcessEnv): string {
  const result = spawnSync(process.execPath, [CLI, ...args], {env, encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`mygate ${args.join(' ')} failed (${result.status}): ${result.stderr}`)
  return result.stdout
}

const slowestDatabase = (run: RunJson) =>
  Math.max(...run.steps.filter((s) => s.kind.endsWith('-primary') && s.startedAt && s.finishedAt).map((s) => Date.parse(s.finishedAt as string) - Date.parse(s.startedAt as string)))

export async function main(): Promise<Row[]> {
  const home = mkdtempSync(join(tmpdir(), 'mygate-bench-failover-'))
  const env = {...process.env, MYGATE_HOME: home, CI: 'true'}
  try {
    cli(['env', 'create', 'bench', '--region', 'west', '--secondary-region', 'east', '--json'], env)
    const drill = JSON.parse(cli(['failover', 'drill', '--env', 'bench', '--json'], env)).result as {phases: Array<{phase: string; rtoMs: number}>; verdict: string}
    const rtoOf = (phase: string) => drill.phases.find((p) => p.phase === phase)?.rtoMs ?? Number.NaN
    const failback = (JSON.parse(cli(['failover', 'status', '--env', 'bench', '--json'], env)).result as {run: RunJson}).run
    const forcedRto = rtoOf('outage')
    const plannedRto = rtoOf('failback')
    const rows: Row[] = [
      {name: 'forced failover RTO (outage to gateway serving)', value: `${(forcedRto / 1000).toFixed(1)} s`, target: '<= 30 s', met: forcedRto <= 30_000},
      {name: 'planned switchover RTO (failback, 8 databases at once)', value: `${(plannedRto / 1000).toFixed(1)} s`, target: '<= 15 s', met: plannedRto <= 15_000},
      {name: '  of which the slowest database move', value: `${(slowestDatabase(failback) / 1000).toFixed(1)} s`, target: '-', met: true},
      {name: "drill verdict against every service's RTO/RPO", value: drill.verdict, target: 'met', met: drill.verdict === 'met'},
    ]
    console.log('\n## failover (local provider, 2 regions, dev tier, all services, MongoDB timings)')
    for (const row of rows) console.log(`${row.name.padEnd(56)} ${row.value.padEnd(8)} target ${row.target.padEnd(8)} ${row.met ? 'met' : 'MISSED'}`)
    return rows
  } finally {
    spawnSync(process.execPath, [CLI, 'local', 'stop'], {env, encoding: 'utf8'})
    rmSync(home, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
