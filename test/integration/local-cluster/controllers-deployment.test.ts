import {afterEach, describe, expect, test} from 'vitest'
import {DEPLOYMENTS, PODS, REPLICASETS} from '../../../src/local-cluster/controllers/resources.js'
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
