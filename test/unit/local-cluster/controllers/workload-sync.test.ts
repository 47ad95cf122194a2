import {describe, expect, test} from 'vitest'
import type {KubeObject, OwnerReference} from '../../../../src/kube/types.js'
import {endpointSubsets, resolveTargetPort} from '../../../../src/local-cluster/controllers/endpoints-sync.js'
import {judgeOwners} from '../../../../src/local-cluster/controllers/garbage-collector.js'
import {reconcileJob} from '../../../../src/local-cluster/controllers/job-sync.js'
import {comparePodsForDeletion, reconcileReplicaSet} from '../../../../src/local-cluster/controllers/replicaset-sync.js'
import {reconcileStatefulSet, statefulSetRevision} from '../../../../src/local-cluster/controllers/statefulset-sync.js'

const NOW = Date.parse('2026-11-23T12:00:00Z')
const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString()

function pod(name: string, options: {ready?: boolean; phase?: string; node?: string; readySince?: number; restarts?: number; created?: number; ip?: string; labels?: Record<string, string>; revision?: string} = {}): KubeObject {
  const ready = options.ready ?? true
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name, namespace: 'ns', uid: `${name}-uid`, creationTimestamp: iso(options.created ?? -60_000), labels: {app: 'web', ...(options.revision ? {'controller-revision-hash': options.revision} : {}), ...options.labels}},
    spec: {...(options.node === '' ? {} : {nodeName: options.node ?? 'n1'}), containers: [{name: 'c', ports: [{name: 'http', containerPort: 8080}]}]},
    status: {
      phase: options.phase ?? 'Running',
      ...(options.ip === '' ? {} : {podIP: options.ip ?? `10.244.0.${name.length}`}),
      conditions: [{type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: iso(options.readySince ?? -30_000)}],
      containerStatuses: [{name: 'c', restartCount: options.restarts ?? 0}],
    },
  }
}

describe('ReplicaSet', () => {
  const rs = (replicas: number, minReadySeconds = 0): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {name: 'web-abc', namespace: 'ns', uid: 'rs-uid', generation: 4},
    spec: {replicas, minReadySeconds, selector: {matchLabels: {app: 'web'}}, template: {metadata: {labels: {app: 'web'}}, spec: {containers: [{name: 'c'}]}}},
  })

  test('scales up with generateName pods owned by the ReplicaSet', () => {
    const {actions} = reconcileReplicaSet(rs(3), [pod('a')], NOW)
    const creates = actions.filter((a) => a.type === 'create')
    const pods = creates.map((a) => a.object).filter((o) => o.kind === 'Pod')
    expect(pods).toHaveLength(2)
    expect(pods[0].metadata).toMatchObject({name: expect.stringMatching(/^web-abc-[a-z0-9]{5}$/), labels: {app: 'web'}, ownerReferences: [{kind: 'ReplicaSet', uid: 'rs-uid', controller: true}]})
    // Each create reports itself: SuccessfulCreate when it works, FailedCreate with the API's error when rejected.
    expect(creates.map((a) => a.report?.success.message)).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`))
    expect(creates.map((a) => a.report?.failurePrefix)).toEqual(['Error creating: ', 'Error creating: '])
  })

  test('a rejected create shows as the ReplicaFailure condition until creates succeed again', () => {
    const failing = reconcileReplicaSet(rs(3), [pod('a')], NOW, 'pods "web-abc-x" is forbidden: exceeded quota: q')
    expect(failing.status.conditions).toEqual([
      {type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "web-abc-x" is forbidden: exceeded quota: q', lastTransitionTime: new Date(NOW).toISOString()},
    ])
    const withCondition = {...rs(1), status: failing.status}
    expect(reconcileReplicaSet(withCondition, [pod('a')], NOW).status.conditions).toBeUndefined()
  })

  test('scales down not-ready and unscheduled pods first, then the youngest ready', () => {
    const pods = [pod('old-ready', {readySince: -50_000}), pod('young-ready', {readySince: -1000}), pod('not-ready', {ready: false}), pod('pending', {node: '', phase: 'Pending', ready: false})]
    const deleted = (n: number) => reconcileReplicaSet(rs(4 - n), pods, NOW).actions.filter((a) => a.type === 'delete').map((a) => (a as {name: string}).name)
    expect(deleted(1)).toEqual(['pending'])
    expect(deleted(2)).toEqual(['pending', 'not-ready'])
    expect(deleted(3)).toEqual(['pending', 'not-ready', 'young-ready'])
  })

  test('more restarts go first among equals', () => {
    expect([pod('a', {restarts: 0}), pod('b', {restarts: 5})].sort(comparePodsForDeletion).map((p) => p.metadata.name)).toEqual(['b', 'a'])
  })

  test('status counts, with availability after minReadySeconds and a requeue for the rest', () => {
    const pods = [pod('a', {readySince: -20_000}), pod('b', {readySince: -2000}), pod('c', {ready: false}), pod('done', {phase: 'Succeeded'})]
    const {status, requeueAfterMs} = reconcileReplicaSet(rs(3, 10), pods, NOW)
    expect(status).toEqual({replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 1, observedGeneration: 4})
    expect(requeueAfterMs).toBe(8000)
  })
})

describe('Endpoints', () => {
  const service = (spec: Record<string, unknown>): KubeObject => ({apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace: 'ns'}, spec})

  test('ready pods as addresses, not ready as notReadyAddresses, finished and IP-less pods left out', () => {
    const subsets = endpointSubsets(service({selector: {app: 'web'}, ports: [{name: 'http', port: 80, targetPort: 'http'}]}), [
      pod('a'),
      pod('b', {ready: false}),
      pod('c', {phase: 'Succeeded'}),
      pod('d', {ip: ''}),
      pod('e', {labels: {app: 'other'}}),
    ])
    expect(subsets).toHaveLength(1)
    expect(subsets?.[0].ports).toEqual([{name: 'http', port: 8080, protocol: 'TCP'}])
    expect(subsets?.[0].addresses?.map((a) => a.targetRef.name)).toEqual(['a'])
    expect(subsets?.[0].notReadyAddresses?.map((a) => a.targetRef.name)).toEqual(['b'])
  })

  test('publishNotReadyAddresses, no selector, numeric and unresolvable target ports', () => {
    expect(endpointSubsets(service({selector: {app: 'web'}, publishNotReadyAddresses: true, ports: [{port: 80}]}), [pod('b', {ready: false})])?.[0].addresses).toHaveLength(1)
    expect(endpointSubsets(service({ports: [{port: 80}]}), [pod('a')])).toBeUndefined()
    expect(resolveTargetPort({port: 80, targetPort: 9090}, pod('a'))).toBe(9090)
    expect(resolveTargetPort({port: 80}, pod('a'))).toBe(80)
    expect(resolveTargetPort({port: 80, targetPort: 'grpc'}, pod('a'))).toBeUndefined()
  })
})

describe('Job', () => {
  const job = (spec: Record<string, unknown>): KubeObject => ({apiVersion: 'batch/v1', kind: 'Job', metadata: {name: 'j', namespace: 'ns', uid: 'j-uid'}, spec: {template: {spec: {containers: [{name: 'c'}]}}, ...spec}})
  const creates = (r: ReturnType<typeof reconcileJob>) => r.actions.filter((a) => a.type === 'create' && a.object.kind === 'Pod').length
  const condition = (r: ReturnType<typeof reconcileJob>, type: string) => r.status.conditions?.find((c) => c.type === type)

  test.each([
    // completions, parallelism, succeeded, failed, active, expected new pods
    [1, 1, 0, 0, 0, 1],
    [5, 2, 0, 0, 0, 2],
    [5, 2, 4, 0, 0, 1],
    [5, 2, 3, 0, 1, 1],
    [3, 10, 0, 0, 0, 3],
    [2, 1, 0, 2, 0, 1], // failures are replaced
  ])('completions %i, parallelism %i, %i succeeded, %i failed, %i active -> %i new pods', (completions, parallelism, succeeded, failed, active, expected) => {
    const pods = [
      ...Array.from({length: succeeded}, (_, i) => pod(`s${i}`, {phase: 'Succeeded'})),
      ...Array.from({length: failed}, (_, i) => pod(`f${i}`, {phase: 'Failed'})),
      ...Array.from({length: active}, (_, i) => pod(`a${i}`)),
    ]
    expect(creates(reconcileJob(job({completions, parallelism}), pods, NOW))).toBe(expected)
  })

  test('Complete once completions succeeded; Failed after backoffLimit + 1 failures', () => {
    const done = reconcileJob(job({completions: 2}), [pod('a', {phase: 'Succeeded'}), pod('b', {phase: 'Succeeded'})], NOW)
    expect(condition(done, 'Complete')).toMatchObject({status: 'True'})
    expect(done.status).toMatchObject({succeeded: 2, active: 0, completionTime: iso(0)})
    const failed = reconcileJob(job({backoffLimit: 1}), [pod('a', {phase: 'Failed'}), pod('b', {phase: 'Failed'}), pod('c')], NOW)
    expect(condition(failed, 'Failed')).toMatchObject({status: 'True', reason: 'BackoffLimitExceeded'})
    expect(failed.actions.filter((a) => a.type === 'delete').map((a) => (a as {name: string}).name)).toEqual(['c'])
    expect(failed.actions.some((a) => a.type === 'create' && a.object.kind === 'Event' && a.object.reason === 'BackoffLimitExceeded')).toBe(true)
    expect(creates(reconcileJob(job({backoffLimit: 2}), [pod('a', {phase: 'Failed'}), pod('b', {phase: 'Failed'})], NOW))).toBe(1)
  })
})

describe('StatefulSet', () => {
  const sts = (replicas: number, template = 'db:1', extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {name: 'db', namespace: 'ns', uid: 'sts-uid', generation: 1},
    spec: {replicas, selector: {matchLabels: {app: 'db'}}, template: {metadata: {labels: {app: 'db'}}, spec: {containers: [{name: 'c', image: template}]}}, ...extra},
  })
  const names = (r: ReturnType<typeof reconcileStatefulSet>, type: string) =>
    r.actions.filter((a) => a.type === type && (a.type !== 'create' || (a as {object: KubeObject}).object.kind === 'Pod')).map((a) => (a.type === 'delete' ? (a as {name: string}).name : (a as {object: KubeObject}).object.metadata.name))

  test('OrderedReady: creates the next ordinal only when all lower ones are Ready', () => {
    const rev = statefulSetRevision(sts(3))
    expect(names(reconcileStatefulSet(sts(3), [], [], NOW), 'create')).toEqual(['db-0'])
    expect(names(reconcileStatefulSet(sts(3), [pod('db-0', {ready: false, revision: rev})], [], NOW), 'create')).toEqual([])
    expect(names(reconcileStatefulSet(sts(3), [pod('db-0', {revision: rev})], [], NOW), 'create')).toEqual(['db-1'])
  })

  test('Parallel creates every missing ordinal at once', () => {
    expect(names(reconcileStatefulSet(sts(3, 'db:1', {podManagementPolicy: 'Parallel'}), [], [], NOW), 'create')).toEqual(['db-0', 'db-1', 'db-2'])
  })

  test('scale-down removes the highest ordinal first; rolling update replaces the highest outdated pod', () => {
    const rev = statefulSetRevision(sts(3))
    const pods = [0, 1, 2].map((i) => pod(`db-${i}`, {revision: rev}))
    expect(names(reconcileStatefulSet(sts(1), pods, [], NOW), 'delete')).toEqual(['db-2'])
    const next = sts(3, 'db:2')
    expect(names(reconcileStatefulSet(next, pods, [], NOW), 'delete')).toEqual(['db-2'])
    expect(names(reconcileStatefulSet(sts(3, 'db:2', {updateStrategy: {type: 'OnDelete'}}), pods, [], NOW), 'delete')).toEqual([])
    expect(names(reconcileStatefulSet(sts(3, 'db:2', {updateStrategy: {type: 'RollingUpdate', rollingUpdate: {partition: 3}}}), pods, [], NOW), 'delete')).toEqual([])
  })
})

describe('garbage collector verdicts', () => {
  const ref = (uid: string): OwnerReference => ({apiVersion: 'v1', kind: 'ConfigMap', name: uid, uid})
  const object = (refs: OwnerReference[]): KubeObject => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x', ownerReferences: refs}})
  test.each([
    [[], ['a'], {action: 'keep'}],
    [['a'], ['a'], {action: 'keep'}],
    [['a'], [], {action: 'delete'}],
    [['a', 'b'], [], {action: 'delete'}],
    [['a', 'b'], ['b'], {action: 'dropReferences', keep: [ref('b')]}],
  ])('owners %j, alive %j -> %j', (owners, alive, verdict) => {
    expect(judgeOwners(object(owners.map(ref)), (r) => alive.includes(r.uid))).toEqual(verdict)
  })
})

describe('events', () => {
  test('an event is named after its object, reason and message (recorded once), and expires after an hour', async () => {
    const {eventAction, expiredEvents, EVENT_TTL_MS} = await import('../../../../src/local-cluster/controllers/events.js')
    const target = pod('web-1')
    const a = eventAction(target, 'Warning', 'BackOff', 'Back-off', 'kubelet', NOW) as {object: KubeObject}
    const b = eventAction(target, 'Warning', 'BackOff', 'Back-off', 'kubelet', NOW + 5000) as {object: KubeObject}
    expect(a.object.metadata.name).toBe(b.object.metadata.name)
    expect(a.object).toMatchObject({kind: 'Event', type: 'Warning', reason: 'BackOff', involvedObject: {kind: 'Pod', name: 'web-1', uid: 'web-1-uid'}, source: {component: 'kubelet'}})
    expect(expiredEvents([a.object], NOW + EVENT_TTL_MS)).toEqual([])
    expect(expiredEvents([a.object], NOW + EVENT_TTL_MS + 1)).toEqual([a.object])
  })
})
