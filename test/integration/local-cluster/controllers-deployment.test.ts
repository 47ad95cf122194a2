import {afterEach, describe, expect, test} from 'vitest'
import {DEPLOYMENTS, PODS, REPLICASETS} from '../../../src/local-cluster/controllers/resources.js'
import {clearFaults, injectFault} from '../../../src/local-cluster/faults/index.js'
import {conditionOf, ensureNamespace, type Harness, list, startHarness, testDeployment, waitFor} from './controllers-harness.js'

let harness: Harness | undefined
afterEach(async () => {
  await harness?.stop()
  harness = undefined
})

/** kubectl rollout status's success test. */
function rolledOut(d: {metadata: {generation?: number}; spec?: unknown; status?: unknown} | undefined): boolean {
  if (!d) return false
  const status = (d.status ?? {}) as {observedGeneration?: number; updatedReplicas?: number; replicas?: number; availableReplicas?: number}
  const replicas = (d.spec as {replicas?: number}).replicas ?? 1
  return (
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
    (status.updatedReplicas ?? 0) >= replicas &&
    (status.replicas ?? 0) <= (status.updatedReplicas ?? 0) &&
    (status.availableReplicas ?? 0) >= (status.updatedReplicas ?? 0)
  )
}

describe('deployment controller against the real store', () => {
  test('a 10-replica Deployment reaches Available with 10 ready pods on the simulated nodes', async () => {
    harness = startHarness()
    const {store} = harness
    ensureNamespace(store, 'mygate')
    store.create(DEPLOYMENTS, testDeployment({replicas: 10}))
    const done = await waitFor('Available', () => {
      const d = store.get(DEPLOYMENTS, 'mygate', 'visitors')
      return conditionOf(d, 'Available')?.status === 'True' && rolledOut(d) ? d : undefined
    })
    expect(done.status).toMatchObject({replicas: 10, updatedReplicas: 10, readyReplicas: 10, availableReplicas: 10})
    expect(conditionOf(done, 'Progressing')).toMatchObject({status: 'True', reason: 'NewReplicaSetAvailable'})
    const sets = list(store, REPLICASETS, 'mygate')
    expect(sets).toHaveLength(1)
    expect(sets[0].metadata.name).toMatch(/^visitors-[a-z0-9]+$/)
    expect(sets[0].metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1')
    const pods = list(store, PODS, 'mygate')
    expect(pods).toHaveLength(10)
    for (const pod of pods) {
      expect(pod.metadata.name?.startsWith(`${sets[0].metadata.name}-`)).toBe(true)
      expect((pod.spec as {nodeName?: string}).nodeName).toMatch(/^test-node-\d$/)
      expect((pod.status as {podIP?: string}).podIP).toMatch(/^10\.244\.\d+\.\d+$/)
      expect((pod.status as {phase?: string}).phase).toBe('Running')
    }
    expect(new Set(pods.map((p) => (p.status as {podIP: string}).podIP)).size).toBe(10)
  })
})

describe('rolling updates and faults against the real store', () => {
  test('v1 -> v2 stays within maxSurge / maxUnavailable at every observed step', async () => {
    harness = startHarness({timing: {podStartupMs: 5, readinessDelayMs: 5}})
    const {store} = harness
    ensureNamespace(store, 'mygate')
    store.create(DEPLOYMENTS, testDeployment({replicas: 10, strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: 2, maxUnavailable: 1}}}))
    await waitFor('v1 rolled out', () => rolledOut(store.get(DEPLOYMENTS, 'mygate', 'visitors')))

    // Observe every pod event from here on: total pods <= 12, ready pods >= 9.
    const violations: string[] = []
    let maxTotal = 0
    let minReady = Infinity
    const sub = store.watch(PODS, {namespace: 'mygate', resourceVersion: store.list(PODS).resourceVersion}, () => {
      const pods = list(store, PODS, 'mygate')
      const ready = pods.filter((p) => conditionOf(p, 'Ready')?.status === 'True').length
      maxTotal = Math.max(maxTotal, pods.length)
      minReady = Math.min(minReady, ready)
      if (pods.length > 12) violations.push(`${pods.length} pods`)
      if (ready < 9) violations.push(`${ready} ready`)
    })
    const current = store.get(DEPLOYMENTS, 'mygate', 'visitors')!
    const v2 = testDeployment({replicas: 10, version: '2.0.0', strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: 2, maxUnavailable: 1}}})
    store.update(DEPLOYMENTS, {...current, spec: v2.spec})
    const done = await waitFor('v2 rolled out', () => {
      const d = store.get(DEPLOYMENTS, 'mygate', 'visitors')
      return d && (d.status as {observedGeneration?: number}).observedGeneration === 2 && rolledOut(d) ? d : undefined
    })
    sub.stop()
    expect(violations).toEqual([])
    expect(maxTotal).toBeGreaterThan(10) // it did surge
    expect(minReady).toBeGreaterThanOrEqual(9)
    const pods = list(store, PODS, 'mygate')
    expect(pods).toHaveLength(10)
    expect(new Set(pods.map((p) => p.metadata.labels?.['app.kubernetes.io/version']))).toEqual(new Set(['2.0.0']))
    expect(done.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2')
    const sets = list(store, REPLICASETS, 'mygate')
    expect(sets.map((rs) => (rs.spec as {replicas: number}).replicas).sort()).toEqual([0, 10])
  })

  test('a crash fault: pods CrashLoopBackOff, never Available, then ProgressDeadlineExceeded', async () => {
    harness = startHarness({timing: {podStartupMs: 0, readinessDelayMs: 0, crashLoopRestartMs: 20, progressDeadlineScale: 0.001}})
    const {store} = harness
    ensureNamespace(store, 'mygate')
    injectFault(store, 'mygate', {service: 'visitors', version: '1.0.0', crash: true})
    store.create(DEPLOYMENTS, testDeployment({replicas: 3, progressDeadlineSeconds: 300})) // 300 ms scaled
    const d = await waitFor(
      'ProgressDeadlineExceeded',
      () => {
        const current = store.get(DEPLOYMENTS, 'mygate', 'visitors')
        return conditionOf(current, 'Progressing')?.reason === 'ProgressDeadlineExceeded' ? current : undefined
      },
      5000,
    )
    expect(conditionOf(d, 'Available')).toMatchObject({status: 'False', reason: 'MinimumReplicasUnavailable'})
    expect(conditionOf(d, 'Progressing')?.status).toBe('False')
    const pods = list(store, PODS, 'mygate')
    expect(pods).toHaveLength(3)
    for (const pod of pods) {
      const container = (pod.status as {containerStatuses: Array<{state: {waiting?: {reason: string}}; restartCount: number; lastState: {terminated?: {exitCode: number}}}>}).containerStatuses[0]
      expect(container.state.waiting?.reason).toBe('CrashLoopBackOff')
      expect(container.lastState.terminated?.exitCode).toBe(1)
      expect(conditionOf(pod, 'Ready')?.status).toBe('False')
    }
    await waitFor('restarts climb', () => list(store, PODS, 'mygate').every((p) => (p.status as {containerStatuses: Array<{restartCount: number}>}).containerStatuses[0].restartCount >= 2))

    // Clearing the fault lets the same pods recover and the rollout complete.
    expect(clearFaults(store, {namespace: 'mygate', service: 'visitors'})).toBe(1)
    const recovered = await waitFor('Available after clearing', () => {
      const current = store.get(DEPLOYMENTS, 'mygate', 'visitors')
      return conditionOf(current, 'Available')?.status === 'True' && rolledOut(current) ? current : undefined
    })
    expect(conditionOf(recovered, 'Progressing')?.reason).toBe('NewReplicaSetAvailable')
  })

  test('not-ready fault: Running pods that never turn Ready', async () => {
    harness = startHarness()
    const {store} = harness
    ensureNamespace(store, 'mygate')
    injectFault(store, 'mygate', {service: 'visitors', notReady: true})
    store.create(DEPLOYMENTS, testDeployment({replicas: 2}))
    await waitFor('pods running', () => list(store, PODS, 'mygate').filter((p) => (p.status as {phase?: string} | undefined)?.phase === 'Running').length === 2)
    await harness.controllers.settle()
    const d = store.get(DEPLOYMENTS, 'mygate', 'visitors')
    expect((d?.status as {readyReplicas?: number}).readyReplicas ?? 0).toBe(0)
    for (const pod of list(store, PODS, 'mygate')) expect(conditionOf(pod, 'Ready')).toMatchObject({status: 'False', reason: 'ContainersNotReady'})
  })
})
