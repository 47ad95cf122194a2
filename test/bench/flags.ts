/**
 * Benchmark: feature flags on the local control plane (issue 14).
 * - change -> metrics: from the moment a split is written to the FeatureFlag (the API's answer) to
 *   the first Prometheus query (through the API server's service proxy, as the analysis reads it)
 *   that shows requests with the on-variant; target < 2 s;
 * - failed measurement -> flag off: from the failing measurement's timestamp (in the rollout record)
 *   to the moment a watch on the FeatureFlag sees the flag off (default variant off, no split),
 *   through the built CLI with an injected `--flag` fault; target < 1 s.
 */
import {spawnSync} from 'node:child_process'

import {execa} from 'execa'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {prometheusFor} from '../../src/analysis/cluster-prometheus.js'
import {splitAt} from '../../src/flags/flag-changes.js'
import {changeFlagSet} from '../../src/flags/flag-store.js'
import type {FlagSet} from '../../src/flags/types.js'
import {KubeClient} from '../../src/kube/client.js'

const CLI = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

interface Row {
  name: string
  value: string
  target: string
  met: boolean
}

const cli = (args: string[], env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [CLI, ...args], {env, encoding: 'utf8'})

export async function main(): Promise<Row[]> {
  const home = mkdtempSync(join(tmpdir(), 'mygate-bench-flags-'))
  const env = {...process.env, MYGATE_HOME: home, CI: 'true', MYGATE_LOCAL_POD_STARTUP_MS: '50', MYGATE_LOCAL_READINESS_DELAY_MS: '50'}
  const rows: Row[] = []
  try {
    const create = cli(['env', 'create', 'flagbench', '--json'], env)
    if (create.status !== 0) throw new Error(`env create failed: ${create.stderr}`)
    const kubeconfig = join(home, 'kubeconfig', 'flagbench.yaml')
    const context = Object.values((JSON.parse(create.stdout).result as {contexts: Record<string, string>}).contexts)[0]
    const client = await KubeClient.connect({kubeconfigPath: kubeconfig, context})
    try {
      // 1. A split written -> requests with the on-variant in the metrics.
      const prometheus = prometheusFor(client)
      const query = 'sum(rate(http_requests_total{feature_flag_key="amenity-waitlist",feature_flag_result_variant="on"}[2s]))'
      await changeFlagSet(new Map([['local-1', client]]), 'flagbench', (set: FlagSet) => ({...set, flags: {...set.flags, 'amenity-waitlist': splitAt('amenity-waitlist', set.flags['amenity-waitlist'], 50)}}))
      const written = performance.now()
      let visibleMs = Number.POSITIVE_INFINITY
      while (performance.now() - written < 10_000) {
        const result = await prometheus.query(query)
        if (result.series.some((s) => s.value > 0)) {
          visibleMs = performance.now() - written
          break
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      rows.push({name: 'flag split written -> on-variant in metrics', value: `${Math.round(visibleMs)} ms`, target: '< 2000 ms', met: visibleMs < 2000})

      // 2. A failing measurement -> the flag off (watched on the FeatureFlag).
      const fault = cli(['local', 'fault', '--env', 'flagbench', '--flag', 'upi-autopay', '--error-rate', '0.3'], env)
      if (fault.status !== 0) throw new Error(`local fault failed: ${fault.stderr}`)
      let offAt: number | undefined
      let sawSplit = false
      const path = await client.pathFor({apiVersion: 'core.openfeature.dev/v1beta1', kind: 'FeatureFlag', namespace: 'mygate'})
      const handle = client.watch(path, {}, (event) => {
        const flag = (event.object.spec as {flagSpec?: FlagSet} | undefined)?.flagSpec?.flags['upi-autopay']
        if (!flag) return
        if (flag.targeting !== undefined) sawSplit = true
        else if (sawSplit && flag.defaultVariant === 'off' && offAt === undefined) offAt = Date.now()
      })
      handle.done.catch(() => undefined)
      // Asynchronous, so this process's watch sees the change when it happens.
      const rollout = await execa(process.execPath, [CLI, 'flags', 'rollout', 'upi-autopay', '--env', 'flagbench', '--steps', '20,100', '--pause', '10s', '--analysis-interval', '500ms', '--json'], {env, reject: false, stdin: 'ignore'})
      await new Promise((resolve) => setTimeout(resolve, 300))
      handle.stop()
      const status = JSON.parse(cli(['flags', 'rollout', 'status', 'upi-autopay', '--env', 'flagbench', '--json'], env).stdout) as {
        result: {state: {phase: string; lastMeasurements?: Array<{at: string; verdict: string}>}}
      }
      const measuredAt = Date.parse(status.result.state.lastMeasurements?.find((m) => m.verdict === 'fail')?.at ?? '')
      const reactionMs = offAt === undefined || Number.isNaN(measuredAt) ? Number.POSITIVE_INFINITY : offAt - measuredAt
      rows.push({
        name: `failed measurement -> flag off (exit ${rollout.exitCode}, ${status.result.state.phase})`,
        value: `${Math.round(reactionMs)} ms`,
        target: '< 1000 ms',
        met: rollout.exitCode === 7 && reactionMs < 1000,
      })
    } finally {
      client.close()
    }
    console.log('\n## feature flags (local control plane)')
    for (const row of rows) console.log(`${row.name.padEnd(52)} ${row.value.padEnd(34)} target ${row.target.padEnd(10)} ${row.met ? 'met' : 'MISSED'}`)
    return rows
  } finally {
    spawnSync(process.execPath, [CLI, 'local', 'stop'], {env})
    rmSync(home, {recursive: true, force: true})
  }
}
