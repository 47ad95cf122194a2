import {afterEach, describe, expect, test} from 'vitest'
import {DEPLOYMENTS, ENDPOINTS, JOBS, PODS, SERVICES} from '../../../src/local-cluster/controllers/resources.js'
import {injectFault} from '../../../src/local-cluster/faults/index.js'
import {conditionOf, ensureNamespace, type Harness, list, startHarness, testDeployment, waitFor} from './controllers-harness.js'

let harness: Harness | undefined
afterEach(async () => {
  await harness?.stop()
  harness = undefined
})

const job = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {name, namespace: 'mygate'},
  spec: {
    template: {metadata: {labels: {'app.kubernetes.io/name': name}}, spec: {restartPolicy: 'Never', containers: [{name: 'task', image: 'busybox'}]}},
    ...spec,
  },
})

describe('Job controller', () => {
  test('completions 3, parallelism 2: completes with 3 succeeded pods, never more than 2 at once', async () => {
    harness = startHarness()
    const {store} = harness
    ensureNamespace(store, 'mygate')
    let maxActive = 0
    const sub = store.watch(JOBS, {namespace: 'mygate', resourceVersion: store.list(JOBS).resourceVersion}, (event) => {
      maxActive = Math.max(maxActive, (event.object.status as {active?: number} | undefined)?.active ?? 0)
    })
    store.create(JOBS, job('migrate', {completions: 3, parallelism: 2}))
    const done = await waitFor('Complete', () => {
      const j = store.get(JOBS, 'mygate', 'migrate')
      return conditionOf(j, 'Complete')?.status === 'True' ? j : undefined
    })
    sub.stop()
    expect(done.status).toMatchObject({succeeded: 3, failed: 0, active: 0})
    expect((done.status as {completionTime?: string}).completionTime).toBeTruthy()
    expect(maxActive).toBe(2)
    expect(list(store, PODS, 'mygate').filter((p) => (p.status as {phase?: string}).phase === 'Succeeded')).toHaveLength(3)
  })

  test('a crash fault fails every pod: Failed with BackoffLimitExceeded after backoffLimit + 1 failures', async () => {
    harness = startHarness()
    const {store} = harness
    ensureNamespace(store, 'mygate')
    injectFault(store, 'mygate', {service: 'flaky', crash: true})
    store.create(JOBS, job('flaky', {backoffLimit: 2}))
    const failed = await waitFor('Failed', () => {
      const j = store.get(JOBS, 'mygate', 'flaky')
      return conditionOf(j, 'Failed')?.status === 'True' ? j : undefined
    })
    expect(conditionOf(failed, 'Failed')?.reason).toBe('BackoffLimitExceeded')
    expect(failed.status).toMatchObject({failed: 3, succeeded: 0, active: 0})
  })
})

describe('Endpoints controller', () => {
  test('ready pods are addresses, not-ready ones notReadyAddresses, with the target port resolved by name', async () => {
    harness = startHarness()
    const {store} = harness
    ensureNamespace(store, 'mygate')
    store.create(SERVICES, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {name: 'visitors', namespace: 'mygate', labels: {'app.kubernetes.io/name': 'visitors'}},
      spec: {selector: {'app.kubernetes.io/name': 'visitors'}, ports: [{name: 'http', port: 80, targetPort: 'http', protocol: 'TCP'}]},
    })
    store.create(DEPLOYMENTS, testDeployment({replicas: 2}))
    store.create(DEPLOYMENTS, testDeployment({name: 'visitors-canary', replicas: 1, version: '2.0.0'}))
    // The canary's pods carry the service's name label too, and never become ready.
    const canary = store.get(DEPLOYMENTS, 'mygate', 'visitors-canary')!
    const template = (canary.spec as {template: {metadata: {labels: Record<string, string>}}}).template
    template.metadata.labels['app.kubernetes.io/name'] = 'visitors'
    template.metadata.labels['mygate.dev/track'] = 'canary'
    ;(canary.spec as {selector: unknown}).selector = {matchLabels: {'mygate.dev/track': 'canary'}}
    store.delete(DEPLOYMENTS, 'mygate', 'visitors-canary')
    store.create(DEPLOYMENTS, {...canary, metadata: {name: 'visitors-canary', namespace: 'mygate'}})
    injectFault(store, 'mygate', {service: 'visitors', version: '2.0.0', notReady: true})
    const endpoints = await waitFor('endpoints', () => {
      const ep = store.get(ENDPOINTS, 'mygate', 'visitors') as {subsets?: Array<{addresses?: unknown[]; notReadyAddresses?: unknown[]}>} | undefined
      const subset = ep?.subsets?.[0]
      return subset?.addresses?.length === 2 && subset.notReadyAddresses?.length === 1 ? ep : undefined
    })
    expect(endpoints.subsets?.[0]).toMatchObject({ports: [{name: 'http', port: 8080, protocol: 'TCP'}]})
    const readyIps = (endpoints.subsets?.[0].addresses as Array<{ip: string}>).map((a) => a.ip).sort()
    const podIps = list(store, PODS, 'mygate')
      .filter((p) => conditionOf(p, 'Ready')?.status === 'True')
      .map((p) => (p.status as {podIP: string}).podIP)
      .sort()
    expect(readyIps).toEqual(podIps)

    store.delete(SERVICES, 'mygate', 'visitors')
    await waitFor('endpoints removed with the service', () => store.get(ENDPOINTS, 'mygate', 'visitors') === undefined)
  })
})
