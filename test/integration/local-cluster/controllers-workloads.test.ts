import {afterEach, describe, expect, test} from 'vitest'
import {CRONJOBS, DEPLOYMENTS, ENDPOINTS, JOBS, PODS, PVCS, SERVICES, STATEFULSETS} from '../../../src/local-cluster/controllers/resources.js'
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

describe('StatefulSet controller', () => {
  test('creates ordered pods, each after the previous is Ready, with Bound claims; then rolls from the highest ordinal', async () => {
    harness = startHarness({timing: {podStartupMs: 5, readinessDelayMs: 5}})
    const {store} = harness
    ensureNamespace(store, 'mygate-data')
    const creations: string[] = []
    const readyAtCreation: number[] = []
    const sub = store.watch(PODS, {namespace: 'mygate-data', resourceVersion: store.list(PODS).resourceVersion}, (event) => {
      if (event.type !== 'ADDED') return
      creations.push(event.object.metadata.name as string)
      readyAtCreation.push(list(store, PODS, 'mygate-data').filter((p) => conditionOf(p, 'Ready')?.status === 'True').length)
    })
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: {name: 'mongodb', namespace: 'mygate-data'},
      spec: {
        replicas: 3,
        serviceName: 'mongodb',
        selector: {matchLabels: {'app.kubernetes.io/name': 'mongodb'}},
        template: {metadata: {labels: {'app.kubernetes.io/name': 'mongodb'}}, spec: {containers: [{name: 'mongod', image: 'mongo:7'}]}},
        volumeClaimTemplates: [{metadata: {name: 'data'}, spec: {accessModes: ['ReadWriteOnce'], resources: {requests: {storage: '10Gi'}}}}],
      },
    }
    store.create(STATEFULSETS, sts)
    const ready = await waitFor('3 ready', () => {
      const s = store.get(STATEFULSETS, 'mygate-data', 'mongodb')
      return (s?.status as {readyReplicas?: number} | undefined)?.readyReplicas === 3 ? s : undefined
    })
    expect(creations).toEqual(['mongodb-0', 'mongodb-1', 'mongodb-2'])
    expect(readyAtCreation).toEqual([0, 1, 2])
    const status = ready.status as {currentRevision: string; updateRevision: string; currentReplicas: number; updatedReplicas: number}
    expect(status.currentRevision).toBe(status.updateRevision)
    expect(status).toMatchObject({currentReplicas: 3, updatedReplicas: 3})
    const claims = list(store, PVCS, 'mygate-data')
    expect(claims.map((c) => c.metadata.name).sort()).toEqual(['data-mongodb-0', 'data-mongodb-1', 'data-mongodb-2'])
    for (const claim of claims) expect(claim.status).toMatchObject({phase: 'Bound', capacity: {storage: '10Gi'}})
    const pod0 = store.get(PODS, 'mygate-data', 'mongodb-0')!
    expect((pod0.spec as {volumes: unknown[]; hostname: string; subdomain: string}).volumes).toEqual([{name: 'data', persistentVolumeClaim: {claimName: 'data-mongodb-0'}}])
    expect(pod0.spec).toMatchObject({hostname: 'mongodb-0', subdomain: 'mongodb'})

    // Rolling update: pods are replaced highest ordinal first.
    creations.length = 0
    const current = store.get(STATEFULSETS, 'mygate-data', 'mongodb')!
    const spec = structuredClone(current.spec) as typeof sts.spec
    spec.template.spec.containers[0].image = 'mongo:8'
    store.update(STATEFULSETS, {...current, spec})
    await waitFor('rolled', () => {
      const s = store.get(STATEFULSETS, 'mygate-data', 'mongodb')?.status as {currentRevision?: string; updateRevision?: string; updatedReplicas?: number; readyReplicas?: number} | undefined
      return s && s.updatedReplicas === 3 && s.readyReplicas === 3 && s.currentRevision === s.updateRevision && s.updateRevision !== status.updateRevision
    })
    sub.stop()
    expect(creations).toEqual(['mongodb-2', 'mongodb-1', 'mongodb-0'])
  })
})

describe('CronJob controller', () => {
  test('a due schedule creates a Job that runs to completion; lastScheduleTime and lastSuccessfulTime are set', async () => {
    const offset = 61_000
    harness = startHarness({clock: () => Date.now() + offset})
    const {store} = harness
    ensureNamespace(store, 'mygate')
    store.create(CRONJOBS, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: {name: 'backup', namespace: 'mygate'},
      spec: {schedule: '* * * * *', jobTemplate: {spec: {template: {spec: {restartPolicy: 'Never', containers: [{name: 'b', image: 'busybox'}]}}}}},
    })
    const done = await waitFor('lastSuccessfulTime', () => {
      const cj = store.get(CRONJOBS, 'mygate', 'backup')
      return (cj?.status as {lastSuccessfulTime?: string} | undefined)?.lastSuccessfulTime ? cj : undefined
    })
    expect((done.status as {lastScheduleTime?: string}).lastScheduleTime).toMatch(/:00Z$/)
    const jobs = list(store, JOBS, 'mygate')
    expect(jobs).toHaveLength(1)
    expect(jobs[0].metadata.name).toMatch(/^backup-\d+$/)
    expect(conditionOf(jobs[0], 'Complete')?.status).toBe('True')
  })
})
