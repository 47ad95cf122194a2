/**
 * Benchmark: a healthy blue-green deploy of `billing` with its descriptor's defaults (analysis
 * interval 1m, the 30 s scale-down delay) on the local provider with default simulated timings,
 * through the built CLI, as a user runs it; then the same deploy while the API server fails 20%
 * of requests (500/503/429/409 in turn) and loses the response of 10% of the writes it carries
 * out, in the same run, as a ratio.
 *
 * Two figures per deploy, from the deploy's own per-step account (--json requestsPerStep):
 * - live: until the Service selects the new colour (deploy, analysis, switch);
 * - done: the command's whole run, which includes the deliberate scale-down delay (the old colour
 *   stays up 30 s so `rollout undo` is instant; the command waits it out because no controller
 *   is left behind to scale it down). Target: done <= 40 s, faulted done <= 2x clean.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const CLI = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const FAULTS = ['--api-error-rate', '0.2', '--api-status', '500', '--api-status', '503', '--api-status', '429', '--api-status', '409', '--api-lost-response-rate', '0.1', '--api-lost-response', 'both']

interface Row {
  name: string
  value: string
  target: string
  met: boolean
}

function cli(args: string[], env: NodeJS.ProcessEnv): {ms: number; stdout: string; stderr: string; status: number | null} {
  const started = performance.now()
  const result = spawnSync(process.execPath, [CLI, ...args], {env, encoding: 'utf8'})
  return {ms: performance.now() - started, stdout: result.stdout, stderr: result.stderr, status: result.status}
}

/** Deploys billing (descriptor defaults) and splits the time at the switch. */
function deployBilling(version: string, env: NodeJS.ProcessEnv): {doneMs: number; liveMs: number; requests: number} {
  const run = cli(['deploy', 'billing', '--env', 'bench', '--version', version, '--json'], env)
  if (run.status !== 0) throw new Error(`deploy billing ${version} failed (${run.status}): ${run.stderr}`)
  const steps = JSON.parse(run.stdout).result.services[0].requestsPerStep as Array<{step: string; requests: number; elapsedMs: number}>
  const switched = steps.findIndex((s) => s.step.startsWith('switch the active Service'))
  if (switched === -1) throw new Error(`no switch step in ${JSON.stringify(steps)}`)
  const afterSwitch = steps.slice(switched + 1).reduce((n, s) => n + s.elapsedMs, 0)
  return {doneMs: run.ms, liveMs: run.ms - afterSwitch, requests: steps.reduce((n, s) => n + s.requests, 0)}
}

export async function main(): Promise<Row[]> {
  const home = mkdtempSync(join(tmpdir(), 'mygate-bench-bg-'))
  const env = {...process.env, MYGATE_HOME: home, CI: 'true'}
  try {
    const create = cli(['env', 'create', 'bench', '--json'], env)
    if (create.status !== 0) throw new Error(`env create failed: ${create.stderr}`)
    const clean = deployBilling('4.2.0', env)
    const fault = cli(['local', 'fault', '--env', 'bench', ...FAULTS], env)
    if (fault.status !== 0) throw new Error(`fault injection failed: ${fault.stderr}`)
    const faulted = deployBilling('4.3.0', env)
    const slowdown = faulted.doneMs / clean.doneMs
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
    const rows: Row[] = [
      {name: 'blue-green billing, descriptor defaults: done', value: s(clean.doneMs), target: '<= 40 s', met: clean.doneMs <= 40_000},
      {name: '  live (Service switched; before the 30 s delay)', value: s(clean.liveMs), target: '-', met: true},
      {name: 'same deploy, 20% API faults: done', value: `${s(faulted.doneMs)} (live ${s(faulted.liveMs)})`, target: '-', met: true},
      {name: 'fault slowdown (done, faulted / clean)', value: `${slowdown.toFixed(2)}x`, target: '<= 2x', met: slowdown <= 2},
      {name: '  live, faulted / clean', value: `${(faulted.liveMs / clean.liveMs).toFixed(2)}x`, target: '-', met: true},
    ]
    console.log('\n## blue-green deploy (local control plane, default timings)')
    for (const row of rows) console.log(`${row.name.padEnd(52)} ${row.value.padEnd(34)} target ${row.target.padEnd(10)} ${row.met ? 'met' : 'MISSED'}`)
    return rows
  } finally {
    cli(['local', 'stop'], env)
    rmSync(home, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
