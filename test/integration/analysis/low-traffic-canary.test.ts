import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {prometheusFor} from '../../../src/analysis/cluster-prometheus.js'
import {measureCanary} from '../../../src/analysis/measure.js'
import type {Measurement} from '../../../src/analysis/types.js'
import type {AnalysisThresholds} from '../../../src/catalog/types.js'
import {KubeClient} from '../../../src/kube/client.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {planCanary} from '../../../src/rollout/plan.js'
import {applyEvent, nextAction} from '../../../src/rollout/state-machine.js'
import {createRolloutState, type RolloutState} from '../../../src/rollout/state.js'
import {writeKubeconfig} from '../../helpers/kubectl.js'
import {waitUntil} from '../../helpers/two-regions.js'

/**
 * A canary that sees few requests is never promoted on them. Over real HTTP against one local
 * cluster whose simulated services get their usual traffic (visitors: about 47 requests per
 * second, shared by its ready pods): 1 canary pod beside 9 stable ones takes a tenth of it, so a
 * 2 s window holds about 9 of the canary's requests, fewer than the 20 the analysis needs; they
 * fail at the simulation's healthy baseline (0.02%), and the old rule ("any request, error rate
 * within the threshold") passed them. The canary's measurements
 * are taken from the cluster's Prometheus endpoint through the API server's service proxy, then
 * fed to the rollout state machine: it pauses at 10% instead of moving on. With the stable side
 * scaled to one pod the same canary gets half the traffic and passes.
 */
describe('a low-traffic canary against the local control plane', () => {
  let dir: string
  let cluster: LocalCluster
  let client: KubeClient
  const thresholds: AnalysisThresholds = {maxErrorRate: 0.01, maxP99LatencyMs: 500, interval: '2s', failureLimit: 1, minRequests: 20}
  const measure = () => measureCanary({client: prometheusFor(client), namespace: 'mygate', service: 'visitors', version: '1.1.0', thresholds})

  const deployment = (name: string, track: string, version: string, replicas: number): KubeObject => {
    const labels = {'app.kubernetes.io/name': 'visitors', 'mygate.dev/track': track}
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name, namespace: 'mygate', labels},
      spec: {
        replicas,
        selector: {matchLabels: labels},
        template: {
          metadata: {labels: {...labels, 'app.kubernetes.io/version': version}},
          spec: {containers: [{name: 'app', image: `registry.mygate.dev/mygate/visitors:${version}`, ports: [{containerPort: 8080, name: 'http'}]}]},
        },
      },
    }
  }

  const until = <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => waitUntil(what, check, {timeoutMs: 20_000, intervalMs: 200})

  const readyPods = async (): Promise<number> => {
    const pods = (await client.list('v1', 'Pod', {namespace: 'mygate'})).items
    return pods.filter((pod) => ((pod.status as {conditions?: Array<{type: string; status: string}>} | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')).length
  }

  /** A canary rollout at its 10% analysis step, measured with what the cluster answered. */
  const atAnalysis = (): RolloutState => {
    let state = createRolloutState(
      {
        id: 'visitors-low-traffic',
        environment: 'demo',
        service: 'visitors',
        strategy: 'canary',
        fromVersion: '1.0.0',
        fromImage: 'registry.mygate.dev/mygate/visitors:1.0.0',
        toVersion: '1.1.0',
        image: 'registry.mygate.dev/mygate/visitors:1.1.0',
        plan: planCanary({steps: [10, 100], pauseMs: 0, analysis: true}),
        analysis: thresholds,
        startedBy: {user: 'test', host: 'test'},
      },
      Date.now(),
    )
    expect(nextAction(state, Date.now())).toMatchObject({kind: 'setWeight', weight: 10})
    state = applyEvent(state, {type: 'stepCompleted'}, Date.now())
    expect(nextAction(state, Date.now()).kind).toBe('runAnalysis')
    return state
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-low-traffic-'))
    cluster = await startLocalCluster({name: 'lowtraffic', region: 'local-1', stateDir: join(dir, 'cluster'), timing: {podStartupMs: 50, readinessDelayMs: 10}})
    client = await KubeClient.connect({kubeconfigPath: writeKubeconfig(cluster.url, mkdtempSync(join(dir, 'kc-'))), context: 'local'})
    await client.apply({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'mygate'}})
    await client.apply({apiVersion: 'v1', kind: 'Service', metadata: {name: 'visitors', namespace: 'mygate'}, spec: {selector: {'app.kubernetes.io/name': 'visitors'}, ports: [{port: 80, targetPort: 8080}]}})
    await client.apply(deployment('visitors', 'stable', '1.0.0', 9))
    await client.apply(deployment('visitors-canary', 'canary', '1.1.0', 1))
    await until('10 ready pods', async () => ((await readyPods()) === 10 ? true : undefined))
  }, 60_000)

  afterAll(async () => {
    client?.close()
    await cluster?.stop()
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  test('a tenth of the traffic over 2 s: inconclusive at every measurement, never a pass, and the rollout pauses at 10%', async () => {
    // Until the canary's series exist (its first scrapes) the error rate has no data at all.
    const first = await until('the canary in the metrics', async () => {
      const measured = await measure()
      return measured[0].value === null ? undefined : measured
    })
    const samples: Measurement[][] = [first]
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500))
      samples.push(await measure())
    }
    for (const [errorRate, latency] of samples) {
      expect(errorRate.verdict).toBe('inconclusive')
      expect(errorRate.reason).toMatch(/^error rate: \d+(\.\d)? requests for visitors 1\.1\.0, fewer than the 20 needed \(0 of \d+(\.\d)? requests failed\); measuring again$/)
      expect(latency.verdict).toBe('pass')
    }

    const measured = applyEvent(atAnalysis(), {type: 'analysisMeasured', measurements: samples.at(-1)!}, Date.now())
    expect(measured.phase).toBe('Paused')
    expect(measured.currentWeight).toBe(10)
    expect(measured.analysisRuns.at(-1)?.verdict).toBe('inconclusive')
    expect(nextAction(measured, Date.now()).kind).toBe('waitForResume')
  }, 60_000)

  test('the same canary with half the traffic (stable scaled to one pod) passes and moves on', async () => {
    await client.apply(deployment('visitors', 'stable', '1.0.0', 1))
    await until('2 ready pods', async () => ((await readyPods()) === 2 ? true : undefined))
    const passing = await until('a passing measurement over a full window at 50%', async () => {
      const measured = await measure()
      return measured[0].verdict === 'pass' ? measured : undefined
    })
    expect(passing[0].reason).toMatch(/^error rate 0\.000\d+ <= 0\.01 for visitors 1\.1\.0$/)
    const measured = applyEvent(atAnalysis(), {type: 'analysisMeasured', measurements: passing}, Date.now())
    expect(measured.phase).toBe('Progressing')
    expect(nextAction(measured, Date.now())).toMatchObject({kind: 'setWeight', weight: 100})
  }, 60_000)
})
