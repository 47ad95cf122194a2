import {describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../../src/kube/types.js'
import {containerConfigProblems, referencedConfig} from '../../../../src/local-cluster/kubelet/container-config.js'
import {kubeletStep, type KubeletStepInput, type PodStatus} from '../../../../src/local-cluster/kubelet/kubelet-step.js'

/**
 * Expected texts are the kubelet's: makeEnvironmentVariables in pkg/kubelet/kubelet_pods.go
 * (the secret/configmap managers' NotFound `secret "x" not found`, "couldn't find key %v in
 * Secret %v/%v"), the secret and configmap volume plugins ("references non-existent secret key:
 * %s"), and the FailedMount event real clusters show:
 * `MountVolume.SetUp failed for volume "certs" : secret "coturn" not found`.
 */

const secret = (name: string, data: Record<string, string>): KubeObject => ({apiVersion: 'v1', kind: 'Secret', metadata: {name, namespace: 'mygate'}, data})
const configMap = (name: string, data: Record<string, string>): KubeObject => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name, namespace: 'mygate'}, data})
const source = (objects: KubeObject[]) => ({
  secret: (name: string) => objects.find((o) => o.kind === 'Secret' && o.metadata.name === name),
  configMap: (name: string) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name),
})
const pod = (spec: Record<string, unknown>): KubeObject => ({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'billing-1', namespace: 'mygate', uid: 'u'}, spec})
const envFromSecret = (name: string, key: string, optional?: boolean) => ({name: 'V', valueFrom: {secretKeyRef: {name, key, ...(optional === undefined ? {} : {optional})}}})

describe('containerConfigProblems', () => {
  test.each<[string, Record<string, unknown>, KubeObject[], Record<string, string>]>([
    ['a missing Secret', {containers: [{name: 'billing', env: [envFromSecret('billing-db-credentials', 'uri')]}]}, [], {billing: 'secret "billing-db-credentials" not found'}],
    [
      'a missing key',
      {containers: [{name: 'billing', env: [envFromSecret('billing-db-credentials', 'uri')]}]},
      [secret('billing-db-credentials', {username: 'YQ=='})],
      {billing: "couldn't find key uri in Secret mygate/billing-db-credentials"},
    ],
    ['an optional missing Secret is skipped', {containers: [{name: 'app', env: [envFromSecret('x', 'k', true)]}]}, [], {}],
    ['the key is there', {containers: [{name: 'app', env: [envFromSecret('s', 'uri')]}]}, [secret('s', {uri: 'bW9uZ28='})], {}],
    ['a missing ConfigMap key', {containers: [{name: 'app', env: [{name: 'X', valueFrom: {configMapKeyRef: {name: 'cfg', key: 'LOG_LEVEL'}}}]}]}, [configMap('cfg', {})], {app: "couldn't find key LOG_LEVEL in ConfigMap mygate/cfg"}],
    ['envFrom a missing ConfigMap comes first', {containers: [{name: 'app', envFrom: [{configMapRef: {name: 'app'}}], env: [envFromSecret('s', 'k')]}]}, [], {app: 'configmap "app" not found'}],
    ['envFrom a missing Secret', {containers: [{name: 'app', envFrom: [{secretRef: {name: 'redis-auth'}}]}]}, [], {app: 'secret "redis-auth" not found'}],
    ['each container its own', {initContainers: [{name: 'init', env: [envFromSecret('a', 'k')]}], containers: [{name: 'app'}, {name: 'side', env: [envFromSecret('b', 'k')]}]}, [], {init: 'secret "a" not found', side: 'secret "b" not found'}],
  ])('environment: %s', (_, spec, objects, expected) => {
    expect(containerConfigProblems(pod(spec), source(objects))).toEqual({mounts: [], containers: expected})
  })

  test.each<[string, Record<string, unknown>, KubeObject[], string[]]>([
    ['a missing Secret volume', {volumes: [{name: 'certs', secret: {secretName: 'coturn'}}]}, [], ['MountVolume.SetUp failed for volume "certs" : secret "coturn" not found']],
    ['a missing item key', {volumes: [{name: 'keyfile', secret: {secretName: 'rs', items: [{key: 'keyfile', path: 'k'}]}}]}, [secret('rs', {other: 'eA=='})], ['MountVolume.SetUp failed for volume "keyfile" : references non-existent secret key: keyfile']],
    ['a missing ConfigMap volume', {volumes: [{name: 'conf', configMap: {name: 'mongod'}}]}, [], ['MountVolume.SetUp failed for volume "conf" : configmap "mongod" not found']],
    ['optional volumes are skipped', {volumes: [{name: 'conf', configMap: {name: 'mongod', optional: true}}]}, [], []],
    [
      'projected sources aggregate',
      {volumes: [{name: 'all', projected: {sources: [{secret: {name: 'a'}}, {configMap: {name: 'b'}}]}}]},
      [],
      ['MountVolume.SetUp failed for volume "all" : [secret "a" not found, configmap "b" not found]'],
    ],
    ['emptyDir needs nothing', {volumes: [{name: 'tmp', emptyDir: {}}]}, [], []],
  ])('volumes: %s', (_, spec, objects, expected) => {
    expect(containerConfigProblems(pod({containers: [{name: 'app'}], ...spec}), source(objects)).mounts).toEqual(expected)
  })

  test('referencedConfig names every Secret and ConfigMap a pod reads', () => {
    const refs = referencedConfig(
      pod({
        volumes: [{name: 'a', secret: {secretName: 's1'}}, {name: 'b', projected: {sources: [{configMap: {name: 'c1'}}]}}],
        containers: [{name: 'app', envFrom: [{secretRef: {name: 's2'}}], env: [{name: 'X', valueFrom: {configMapKeyRef: {name: 'c2', key: 'k'}}}]}],
      }),
    )
    expect([...refs.secrets].sort()).toEqual(['s1', 's2'])
    expect([...refs.configMaps].sort()).toEqual(['c1', 'c2'])
  })
})

describe('kubeletStep with configuration problems', () => {
  const T0 = Date.parse('2026-11-23T12:00:00Z')
  const timing = {podStartupMs: 200, readinessDelayMs: 100, jobRunMs: 500, crashLoopRestartMs: 1000}
  const bound = (status?: PodStatus): KubeObject => ({...pod({nodeName: 'n1', containers: [{name: 'billing', image: 'billing:1'}]}), ...(status ? {status} : {})})
  const step = (p: KubeObject, at: number, extra: Partial<KubeletStepInput> = {}) =>
    kubeletStep({pod: p, hostIP: '172.18.0.2', podIP: '10.244.0.2', runsToCompletion: false, faults: {crash: false, notReady: false}, now: at, timing, ...extra})
  const cond = (status: PodStatus, type: string) => status.conditions?.find((c) => c.type === type)
  const missing = {mounts: [], containers: {billing: 'secret "billing-db-credentials" not found'}}

  test('a container whose Secret is missing waits in CreateContainerConfigError; the pod stays Pending', () => {
    const first = step(bound(), T0, {configProblems: missing}).status
    const status = step(bound(first), T0 + 500, {configProblems: missing}).status
    expect(status.phase).toBe('Pending')
    expect(status.containerStatuses?.[0].state).toEqual({waiting: {reason: 'CreateContainerConfigError', message: 'secret "billing-db-credentials" not found'}})
    expect(cond(status, 'Ready')?.status).toBe('False')
  })

  test('once the Secret exists the container starts then, and is Ready a readiness delay later', () => {
    let status = step(bound(), T0, {configProblems: missing}).status
    status = step(bound(status), T0 + 500, {configProblems: missing}).status
    const recovered = step(bound(status), T0 + 5000)
    expect(recovered.status.phase).toBe('Running')
    expect(recovered.status.containerStatuses?.[0].state.running?.startedAt).toBe(new Date(T0 + 5000).toISOString())
    expect(cond(recovered.status, 'Ready')?.status).toBe('False')
    expect(recovered.requeueAfterMs).toBe(100)
    expect(cond(step(bound(recovered.status), T0 + 5100).status, 'Ready')?.status).toBe('True')
  })

  test('a running container is not affected when its Secret disappears (env is read at start)', () => {
    let status = step(bound(), T0).status
    status = step(bound(status), T0 + 400).status
    const later = step(bound(status), T0 + 1000, {configProblems: missing}).status
    expect(later.phase).toBe('Running')
    expect(cond(later, 'Ready')?.status).toBe('True')
  })

  test('a volume that cannot be mounted keeps the pod ContainerCreating; containers start podStartupMs after it mounts', () => {
    const mount = {mounts: ['MountVolume.SetUp failed for volume "certs" : secret "coturn" not found'], containers: {}}
    let status = step(bound(), T0, {configProblems: mount}).status
    status = step(bound(status), T0 + 1000, {configProblems: mount}).status
    expect(status.phase).toBe('Pending')
    expect(status.containerStatuses?.[0].state).toEqual({waiting: {reason: 'ContainerCreating'}})
    expect(cond(status, 'PodReadyToStartContainers')?.status).toBe('False')
    const mounted = step(bound(status), T0 + 3000)
    expect(cond(mounted.status, 'PodReadyToStartContainers')).toMatchObject({status: 'True', lastTransitionTime: new Date(T0 + 3000).toISOString()})
    expect(mounted.status.containerStatuses?.[0].state).toEqual({waiting: {reason: 'ContainerCreating'}})
    expect(mounted.requeueAfterMs).toBe(200)
    expect(step(bound(mounted.status), T0 + 3200).status.phase).toBe('Running')
  })

  test('a Job pod whose Secret appears late runs its full time from then', () => {
    let status = step(bound(), T0, {configProblems: missing, runsToCompletion: true}).status
    status = step(bound(status), T0 + 400, {configProblems: missing, runsToCompletion: true}).status
    expect(status.containerStatuses?.[0].state.waiting?.reason).toBe('CreateContainerConfigError')
    status = step(bound(status), T0 + 2000, {runsToCompletion: true}).status
    expect(status.phase).toBe('Running')
    expect(step(bound(status), T0 + 2400, {runsToCompletion: true}).status.phase).toBe('Running')
    expect(step(bound(status), T0 + 2500, {runsToCompletion: true}).status.phase).toBe('Succeeded')
  })
})
