import {beforeEach, describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../../src/kube/types.js'
import {LIMIT_RANGER_ANNOTATION} from '../../../../src/local-cluster/admission/limit-ranger.js'
import {formatResourceList} from '../../../../src/local-cluster/compute-resources/quantity.js'
import {missingComputeResources, namespaceUsage, objectUsage} from '../../../../src/local-cluster/quota/usage.js'
import {createObjectStore, type LocalObjectStore} from '../../../../src/local-cluster/store/index.js'

/**
 * ResourceQuota and LimitRanger admission on a real in-memory store (the same code path the API
 * server and the controllers write through). Expected texts are upstream's:
 * - quota: k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go
 *   "exceeded quota: %s, requested: %s, used: %s, limited: %s" and "failed quota: %s: %v";
 *   pkg/quota/v1/evaluator/core/pods.go "must specify %s" with "%s for: %s" per resource;
 * - LimitRanger: plugin/pkg/admission/limitranger/admission.go, e.g. the documentation's
 *   "maximum cpu usage per Container is 800m, but limit is 1500m"
 *   (kubernetes.io/docs/tasks/administer-cluster/manage-resources/cpu-constraint-namespace/).
 */

const PODS = {group: '', resource: 'pods'}
const PVCS = {group: '', resource: 'persistentvolumeclaims'}
const NS = 'q'

let store: LocalObjectStore
beforeEach(() => {
  store = createObjectStore()
  store.create({group: '', resource: 'namespaces'}, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: NS}})
})

const quota = (hard: Record<string, string>, name = 'mygate-quota') =>
  store.create({group: '', resource: 'resourcequotas'}, {apiVersion: 'v1', kind: 'ResourceQuota', metadata: {name, namespace: NS}, spec: {hard}})
const limitRange = (limits: unknown[]) => store.create({group: '', resource: 'limitranges'}, {apiVersion: 'v1', kind: 'LimitRange', metadata: {name: 'limits', namespace: NS}, spec: {limits}})
const pod = (name: string, resources?: {requests?: Record<string, string>; limits?: Record<string, string>}, containers = ['app']): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {name, namespace: NS},
  spec: {containers: containers.map((c) => ({name: c, image: 'web:1', ...(resources ? {resources} : {})}))},
})
const sized = (cpu: string, memory: string) => ({requests: {cpu, memory}, limits: {cpu, memory}})
const createPod = (p: KubeObject) => store.create(PODS, p)
const rejection = (fn: () => unknown): string => {
  try {
    fn()
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected the write to be rejected')
}

describe('ResourceQuota admission', () => {
  test('a pod past requests.cpu is rejected with the requested, used and limited figures', () => {
    quota({'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.cpu': '1', 'limits.memory': '1Gi'})
    createPod(pod('a', sized('600m', '256Mi')))
    expect(rejection(() => createPod(pod('b', sized('600m', '256Mi'))))).toBe(
      'pods "b" is forbidden: exceeded quota: mygate-quota, requested: limits.cpu=600m,requests.cpu=600m, used: limits.cpu=600m,requests.cpu=600m, limited: limits.cpu=1,requests.cpu=1',
    )
    expect(store.get(PODS, NS, 'b')).toBeUndefined()
  })

  test('memory sums print in binary units', () => {
    quota({'requests.memory': '1Gi'})
    createPod(pod('a', {requests: {memory: '512Mi'}}))
    createPod(pod('b', {requests: {memory: '256Mi'}}))
    expect(rejection(() => createPod(pod('c', {requests: {memory: '512Mi'}})))).toBe(
      'pods "c" is forbidden: exceeded quota: mygate-quota, requested: requests.memory=512Mi, used: requests.memory=768Mi, limited: requests.memory=1Gi',
    )
  })

  test('a quota on cpu and memory needs every container to state them', () => {
    quota({'requests.cpu': '4', 'requests.memory': '8Gi', 'limits.cpu': '8', 'limits.memory': '16Gi', pods: '10'})
    expect(rejection(() => createPod(pod('bare', undefined, ['app', 'sidecar'])))).toBe(
      'pods "bare" is forbidden: failed quota: mygate-quota: must specify limits.cpu for: app,sidecar; limits.memory for: app,sidecar; requests.cpu for: app,sidecar; requests.memory for: app,sidecar',
    )
    expect(rejection(() => createPod(pod('half', {requests: {cpu: '100m', memory: '64Mi'}})))).toBe(
      'pods "half" is forbidden: failed quota: mygate-quota: must specify limits.cpu for: app; limits.memory for: app',
    )
  })

  test('the pods count excludes finished pods', () => {
    quota({pods: '2'})
    createPod(pod('a'))
    const b = createPod(pod('b'))
    expect(rejection(() => createPod(pod('c')))).toBe('pods "c" is forbidden: exceeded quota: mygate-quota, requested: pods=1, used: pods=2, limited: pods=2')
    store.update(PODS, {...b, status: {phase: 'Succeeded'}}, {subresource: 'status'})
    expect(createPod(pod('c')).metadata.name).toBe('c')
  })

  test('claims charge persistentvolumeclaims and requests.storage', () => {
    quota({persistentvolumeclaims: '2', 'requests.storage': '10Gi'})
    const claim = (name: string, storage: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {name, namespace: NS},
      spec: {accessModes: ['ReadWriteOnce'], resources: {requests: {storage}}},
    })
    store.create(PVCS, claim('data-0', '8Gi'))
    expect(rejection(() => store.create(PVCS, claim('data-1', '4Gi')))).toBe(
      'persistentvolumeclaims "data-1" is forbidden: exceeded quota: mygate-quota, requested: requests.storage=4Gi, used: requests.storage=8Gi, limited: requests.storage=10Gi',
    )
  })

  test('every quota of the namespace applies, in name order', () => {
    quota({pods: '10'}, 'a-loose')
    quota({pods: '1'}, 'b-tight')
    createPod(pod('one'))
    expect(rejection(() => createPod(pod('two')))).toContain('exceeded quota: b-tight, requested: pods=1, used: pods=1, limited: pods=1')
  })
})

describe('LimitRanger admission', () => {
  test('containers without resources get the defaults, noted in the annotation; then quota admits them', () => {
    quota({'requests.cpu': '4', 'requests.memory': '8Gi', 'limits.cpu': '8', 'limits.memory': '16Gi'})
    limitRange([{type: 'Container', default: {cpu: '250m', memory: '256Mi'}, defaultRequest: {cpu: '50m', memory: '64Mi'}, max: {cpu: '2', memory: '4Gi'}}])
    const created = createPod(pod('bare'))
    const container = (created.spec as {containers: Array<{resources: unknown}>}).containers[0]
    expect(container.resources).toEqual({requests: {cpu: '50m', memory: '64Mi'}, limits: {cpu: '250m', memory: '256Mi'}})
    expect(created.metadata.annotations?.[LIMIT_RANGER_ANNOTATION]).toBe('LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app')
  })

  test('a stated limit is kept; a missing request follows the limit (API defaulting) before LimitRanger', () => {
    limitRange([{type: 'Container', default: {cpu: '250m'}, defaultRequest: {cpu: '50m'}}])
    const created = createPod(pod('limited', {limits: {cpu: '1'}}))
    expect((created.spec as {containers: Array<{resources: unknown}>}).containers[0].resources).toEqual({limits: {cpu: '1'}, requests: {cpu: '1'}})
  })

  test('a limit above max is rejected', () => {
    limitRange([{type: 'Container', max: {cpu: '2', memory: '4Gi'}}])
    expect(rejection(() => createPod(pod('big', {limits: {cpu: '4', memory: '8Gi'}})))).toBe(
      'pods "big" is forbidden: [maximum cpu usage per Container is 2, but limit is 4, maximum memory usage per Container is 4Gi, but limit is 8Gi]',
    )
    // The LimitRange's default limit falls back to its max (API defaulting), so a missing limit becomes the max.
    const defaulted = createPod(pod('cpu-only', {limits: {cpu: '1500m'}}))
    expect((defaulted.spec as {containers: Array<{resources: unknown}>}).containers[0].resources).toEqual({limits: {cpu: '1500m', memory: '4Gi'}, requests: {cpu: '1500m', memory: '4Gi'}})
  })

  test('min and the limit/request ratio', () => {
    limitRange([{type: 'Container', min: {cpu: '100m'}, maxLimitRequestRatio: {cpu: '2'}}])
    expect(rejection(() => createPod(pod('tiny', {requests: {cpu: '50m'}, limits: {cpu: '100m'}})))).toBe('pods "tiny" is forbidden: minimum cpu usage per Container is 100m, but request is 50m')
    expect(rejection(() => createPod(pod('bursty', {requests: {cpu: '100m'}, limits: {cpu: '400m'}})))).toBe(
      'pods "bursty" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000',
    )
  })
})

describe('quota usage', () => {
  test.each<[string, KubeObject, string]>([
    ['a sized pod', pod('p', sized('500m', '128Mi')), 'count/pods=1,cpu=500m,limits.cpu=500m,limits.memory=128Mi,memory=128Mi,pods=1,requests.cpu=500m,requests.memory=128Mi'],
    ['a finished pod charges only its count', {...pod('p', sized('500m', '128Mi')), status: {phase: 'Failed'}}, 'count/pods=1'],
  ])('%s', (_, object, expected) => {
    expect(formatResourceList(objectUsage(PODS, object, Date.now()))).toBe(expected)
  })

  test('a claim charges its class too', () => {
    const claim: KubeObject = {apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: 'c'}, spec: {storageClassName: 'standard', resources: {requests: {storage: '10Gi'}}}}
    expect(formatResourceList(objectUsage(PVCS, claim, 0))).toBe(
      'count/persistentvolumeclaims=1,persistentvolumeclaims=1,requests.storage=10Gi,standard.storageclass.storage.k8s.io/persistentvolumeclaims=1,standard.storageclass.storage.k8s.io/requests.storage=10Gi',
    )
  })

  test('namespace usage is zero for names nothing charges', () => {
    const used = namespaceUsage((ref) => (ref.resource === 'pods' ? [pod('a', sized('250m', '64Mi')), pod('b', sized('250m', '64Mi'))] : []), NS, ['requests.cpu', 'requests.memory', 'count/secrets'], 0)
    expect(formatResourceList(used)).toBe('count/secrets=0,requests.cpu=500m,requests.memory=128Mi')
  })

  test('missingComputeResources ignores names that are not compute resources', () => {
    expect(missingComputeResources(pod('p'), ['pods', 'requests.storage'])).toBeUndefined()
    expect(missingComputeResources(pod('p', {requests: {cpu: '1'}}), ['cpu'])).toBeUndefined()
  })
})
