/**
 * Benchmark: rollouts on the local control plane through the built CLI, as a user runs them.
 * - reaction time: from the failing analysis measurement (its timestamp in the rollout record) to
 *   the moment no canary pod serves any more (watched here on the pods, not taken from the CLI's
 *   own account), target < 1 s; the record's own figure (finishedAt) is shown beside it;
 * - Kubernetes API requests per rollout step of a good canary (from deploy --json), target <= 10;
 * - `mygate rollout status` against `kubectl get deployment` on the same object, same run,
 *   median of 5 each, as a ratio, target <= 3x. kubectl.1.33 beside the gcloud dispatcher; a
 *   missing kubectl fails the benchmark.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, realpathSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {KubeClient} from '../../src/kube/client.js'
import {podProblem} from '../../src/kube/readiness.js'
import type {KubeObject} from '../../src/kube/types.js'

const CLI = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

interface Row {
  name: string
  value: string
  target: string
  met: boolean
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): {ms: number; stdout: string; stderr: string; status: number | null} {
  const started = performance.now()
  const result = spawnSync(command, args, {env, encoding: 'utf8'})
  return {ms: performance.now() - started, stdout: result.stdout, stderr: result.stderr, status: result.status}
}

const cli = (args: string[], env: NodeJS.ProcessEnv) => run(process.execPath, [CLI, ...args], env)

function kubectlBinary(): string {
  const which = spawnSync('sh', ['-c', 'command -v kubectl'], {encoding: 'utf8'}).stdout.trim()
  if (!which) throw new Error('kubectl is not on PATH: the status benchmark needs kubectl.1.33 beside it')
  const path = join(dirname(realpathSync(which)), 'kubectl.1.33')
  if (!existsSync(path)) throw new Error(`${path} is missing: the status benchmark needs kubectl.1.33`)
  return path
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Watches the canary's pods and records when the count of serving (ready, not deleting) pods changes. */
async function watchServingCanaryPods(client: KubeClient, service: string): Promise<{changes: Array<{at: number; serving: number}>; stop(): void}> {
  const serving = new Map<string, boolean>()
  const changes: Array<{at: number; serving: number}> = []
  const count = () => [...serving.values()].filter(Boolean).length
  const observe = (type: string, pod: KubeObject) => {
    const before = count()
    serving.set(String(pod.metadata.name), type !== 'DELETED' && pod.metadata.deletionTimestamp === undefined && podProblem(pod) === undefined)
    if (count() !== before) changes.push({at: Date.now(), serving: count()})
  }
  const selector = `app.kubernetes.io/name=${service},mygate.dev/track=canary`
  const list = await client.list('v1', 'Pod', {namespace: 'mygate', labelSelector: selector})
  for (const pod of list.items) observe('ADDED', pod)
  const path = await client.pathFor({apiVersion: 'v1', kind: 'Pod', namespace: 'mygate'})
  const handle = client.watch(path, {labelSelector: selector, resourceVersion: list.resourceVersion}, (event) => {
    if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') observe(event.type, event.object)
  })
  handle.done.catch(() => undefined)
  return {changes, stop: () => handle.stop()}
}

export async function main(): Promise<Row[]> {
  const kubectl = kubectlBinary()
  const home = mkdtempSync(join(tmpdir(), 'mygate-bench-rollout-'))
  const env = {...process.env, MYGATE_HOME: home, CI: 'true', MYGATE_LOCAL_POD_STARTUP_MS: '50', MYGATE_LOCAL_READINESS_DELAY_MS: '50'}
  const fast = ['--pause', '1s', '--analysis-interval', '1s', '--timeout', '60s']
  try {
    const create = cli(['env', 'create', 'bench', '--json'], env)
    if (create.status !== 0) throw new Error(`env create failed: ${create.stderr}`)
    const kubeconfig = join(home, 'kubeconfig', 'bench.yaml')
    const context = Object.values((JSON.parse(create.stdout).result as {contexts: Record<string, string>}).contexts)[0]

    // 1. A good canary: API requests per step.
    const good = cli(['deploy', 'visitors', '--env', 'bench', '--version', '9.0.0', '--canary', '--steps', '25,50,100', ...fast, '--json'], env)
    if (good.status !== 0) throw new Error(`good canary failed: ${good.stderr}`)
    const steps = (JSON.parse(good.stdout).result.services[0].requestsPerStep as Array<{step: string; requests: number}>)
    const maxPerStep = Math.max(...steps.map((s) => s.requests))
    const meanPerStep = steps.reduce((n, s) => n + s.requests, 0) / steps.length
    const worst = steps.find((s) => s.requests === maxPerStep)

    // 2. A bad canary: reaction time from the failing measurement to no canary pod serving.
    const fault = cli(['local', 'fault', '--env', 'bench', '--service', 'visitors', '--version', '9.0.1', '--error-rate', '0.5'], env)
    if (fault.status !== 0) throw new Error(`fault injection failed: ${fault.stderr}`)
    const client = await KubeClient.connect({kubeconfigPath: kubeconfig, context})
    const pods = await watchServingCanaryPods(client, 'visitors')
    const bad = cli(['deploy', 'visitors', '--env', 'bench', '--version', '9.0.1', '--canary', '--steps', '50,100', ...fast, '--json'], env)
    await new Promise((resolve) => setTimeout(resolve, 500))
    pods.stop()
    client.close()
    if (bad.status !== 7) throw new Error(`bad canary should exit 7, got ${bad.status}: ${bad.stderr}`)
    const failed = JSON.parse(bad.stdout).error.details.result.services[0] as {analysis: Array<{at: string; verdict: string}>}
    const status = JSON.parse(cli(['rollout', 'status', 'visitors', '--env', 'bench', '--json'], env).stdout).result.state as {finishedAt: string}
    const measuredAt = Date.parse(failed.analysis.filter((r) => r.verdict === 'fail').at(-1)!.at)
    const drained = pods.changes.find((c) => c.at >= measuredAt && c.serving === 0)
    if (drained === undefined) throw new Error(`the canary never stopped serving after the failing measurement: ${JSON.stringify(pods.changes)}`)
    const reactionMs = drained.at - measuredAt
    const recordedMs = Date.parse(status.finishedAt) - measuredAt

    // 3. rollout status against kubectl get deployment, same object, same run.
    const statusTimes: number[] = []
    const kubectlTimes: number[] = []
    for (let i = 0; i < 5; i++) {
      const s = cli(['rollout', 'status', 'visitors', '--env', 'bench'], env)
      if (s.status !== 0) throw new Error(`rollout status failed: ${s.stderr}`)
      statusTimes.push(s.ms)
      const k = run(kubectl, ['--kubeconfig', kubeconfig, '--context', context, 'get', 'deployment', 'visitors', '-n', 'mygate'], env)
      if (k.status !== 0) throw new Error(`kubectl get deployment failed: ${k.stderr}`)
      kubectlTimes.push(k.ms)
    }
    const ratio = median(statusTimes) / median(kubectlTimes)

    const rows: Row[] = [
      {name: 'reaction: failing analysis -> 0 canary pods serving', value: `${reactionMs.toFixed(0)} ms`, target: '< 1000 ms', met: reactionMs < 1000},
      {name: '  (rollout record: failing analysis -> rolled back)', value: `${recordedMs.toFixed(0)} ms`, target: '-', met: true},
      {name: 'API requests per rollout step (max)', value: `${maxPerStep} (${worst?.step})`, target: '<= 10', met: maxPerStep <= 10},
      {name: 'API requests per rollout step (mean)', value: meanPerStep.toFixed(1), target: '-', met: true},
      {name: 'rollout status (median of 5)', value: `${median(statusTimes).toFixed(0)} ms`, target: '-', met: true},
      {name: 'kubectl get deployment (median of 5)', value: `${median(kubectlTimes).toFixed(0)} ms`, target: '-', met: true},
      {name: 'rollout status / kubectl get deployment', value: `${ratio.toFixed(2)}x`, target: '<= 3x', met: ratio <= 3},
    ]
    console.log('\n## rollouts (local control plane)')
    for (const row of rows) console.log(`${row.name.padEnd(52)} ${row.value.padEnd(34)} target ${row.target.padEnd(10)} ${row.met ? 'met' : 'MISSED'}`)
    return rows
  } finally {
    cli(['local', 'stop'], env)
    rmSync(home, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
