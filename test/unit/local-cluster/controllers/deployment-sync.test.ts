import {describe, expect, test} from 'vitest'
import type {KubeObject} from '../../../../src/kube/types.js'
import type {Action} from '../../../../src/local-cluster/controllers/actions.js'
import {buildReplicaSet, reconcileDeployment, REVISION_ANNOTATION} from '../../../../src/local-cluster/controllers/deployment-sync.js'
import {resolveFenceposts} from '../../../../src/local-cluster/controllers/rolling-update.js'

const NOW = Date.parse('2026-11-23T12:00:00Z')

function deployment(overrides: {replicas?: number; image?: string; strategy?: unknown; paused?: boolean; generation?: number; status?: unknown; revisionHistoryLimit?: number; annotations?: Record<string, string>} = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name: 'web', namespace: 'ns', uid: 'd-uid', generation: overrides.generation ?? 1, annotations: overrides.annotations},
    spec: {
      replicas: overrides.replicas ?? 10,
      selector: {matchLabels: {app: 'web'}},
      ...(overrides.strategy ? {strategy: overrides.strategy} : {}),
      ...(overrides.paused ? {paused: true} : {}),
      ...(overrides.revisionHistoryLimit !== undefined ? {revisionHistoryLimit: overrides.revisionHistoryLimit} : {}),
      template: {metadata: {labels: {app: 'web'}}, spec: {containers: [{name: 'web', image: overrides.image ?? 'web:1'}]}},
    },
    ...(overrides.status ? {status: overrides.status} : {}),
  }
}

/** A ReplicaSet as the controller would have made it for `d`, with the given counts. */
function replicaSet(d: KubeObject, counts: {replicas: number; available?: number; revision?: number; created?: string}): KubeObject {
  const dReplicas = (d.spec as {replicas: number}).replicas
  const rs = buildReplicaSet(d, counts.replicas, counts.revision ?? 1, resolveFenceposts(dReplicas).maxSurge)
  rs.metadata.uid = `${rs.metadata.name}-uid`
  rs.metadata.creationTimestamp = counts.created ?? '2026-11-23T11:00:00Z'
  const available = counts.available ?? counts.replicas
  rs.status = {replicas: counts.replicas, readyReplicas: available, availableReplicas: available}
  return rs
}

/** Actions of one type, leaving out the Events they record. */
const ofType = (actions: Action[], type: Action['type']) => actions.filter((a) => a.type === type && !('object' in a && a.object.kind === 'Event'))
const eventsOf = (actions: Action[]) => actions.filter((a) => a.type === 'create' && a.object.kind === 'Event').map((a) => (a as {object: KubeObject}).object)
const replicasOf = (action: Action | {object: KubeObject}) => ((action as {object: KubeObject}).object.spec as {replicas: number}).replicas
const condition = (status: {conditions?: Array<{type: string}>}, type: string) => status.conditions?.find((c) => c.type === type)

describe('reconcileDeployment', () => {
  test('a new Deployment gets one ReplicaSet named after its template hash, revision 1', () => {
    const d = deployment({replicas: 3})
    const {actions, status} = reconcileDeployment({deployment: d, replicaSets: [], now: NOW})
    const [create] = ofType(actions, 'create')
    const rs = (create as {object: KubeObject}).object
    expect(rs.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/)
    expect(rs.metadata.annotations?.[REVISION_ANNOTATION]).toBe('1')
    expect(rs.metadata.ownerReferences).toEqual([{apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true}])
    const hash = rs.metadata.labels?.['pod-template-hash']
    expect(rs.spec).toMatchObject({replicas: 3, selector: {matchLabels: {app: 'web', 'pod-template-hash': hash}}, template: {metadata: {labels: {app: 'web', 'pod-template-hash': hash}}}})
    expect(condition(status, 'Progressing')).toMatchObject({status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rs.metadata.name}"`})
    expect(condition(status, 'Available')).toMatchObject({status: 'False', reason: 'MinimumReplicasUnavailable'})
    expect(status).toMatchObject({observedGeneration: 1, replicas: 0, updatedReplicas: 0, availableReplicas: 0, unavailableReplicas: 3})
  })

  test('the ReplicaSet hash is stable and the change-cause annotation is copied', () => {
    const d = deployment({annotations: {'kubernetes.io/change-cause': 'deploy 1', 'kubectl.kubernetes.io/last-applied-configuration': '{}'}})
    const a = buildReplicaSet(d, 1, 1, 0)
    const b = buildReplicaSet(structuredClone(d), 1, 1, 0)
    expect(a.metadata.name).toBe(b.metadata.name)
    expect(a.metadata.annotations?.['kubernetes.io/change-cause']).toBe('deploy 1')
    expect(a.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined()
    expect(buildReplicaSet(deployment({image: 'web:2'}), 1, 1, 0).metadata.name).not.toBe(a.metadata.name)
  })

  test('a template change starts a rolling update within maxSurge / maxUnavailable (worked example)', () => {
    const v1 = deployment()
    const old = replicaSet(v1, {replicas: 10})
    const v2 = deployment({image: 'web:2', generation: 2})
    const {actions, status} = reconcileDeployment({deployment: v2, replicaSets: [old], now: NOW})
    const create = ofType(actions, 'create')[0] as {object: KubeObject}
    expect(replicasOf(create)).toBe(3)
    expect(create.object.metadata.annotations?.[REVISION_ANNOTATION]).toBe('2')
    const scaled = ofType(actions, 'update').find((a) => (a as {object: KubeObject}).object.metadata.name === old.metadata.name)
    expect(replicasOf(scaled as Action)).toBe(8)
    expect(status).toMatchObject({replicas: 10, updatedReplicas: 0, availableReplicas: 10})
    expect(condition(status, 'Available')).toMatchObject({status: 'True', reason: 'MinimumReplicasAvailable'})
    expect(eventsOf(actions).map((e) => [e.reason, e.message])).toEqual([
      ['ScalingReplicaSet', `Scaled up replica set ${create.object.metadata.name} from 0 to 3`],
      ['ScalingReplicaSet', `Scaled down replica set ${old.metadata.name} from 10 to 8`],
    ])
  })

  test('rolling back to an old template reuses its ReplicaSet and bumps its revision', () => {
    const v1 = deployment()
    const v2 = deployment({image: 'web:2'})
    const rs1 = replicaSet(v1, {replicas: 0, revision: 1, created: '2026-11-23T10:00:00Z'})
    const rs2 = replicaSet(v2, {replicas: 10, revision: 2})
    const back = deployment({generation: 3})
    const {actions, status} = reconcileDeployment({deployment: back, replicaSets: [rs1, rs2], now: NOW})
    expect(ofType(actions, 'create')).toHaveLength(0)
    const reused = ofType(actions, 'update').find((a) => (a as {object: KubeObject}).object.metadata.name === rs1.metadata.name) as {object: KubeObject}
    expect(reused.object.metadata.annotations?.[REVISION_ANNOTATION]).toBe('3')
    expect(replicasOf(reused)).toBe(3)
    expect(condition(status, 'Progressing')).toMatchObject({reason: 'FoundNewReplicaSet'})
    const deploymentUpdate = ofType(actions, 'update').find((a) => (a as {object: KubeObject}).object.kind === 'Deployment') as {object: KubeObject}
    expect(deploymentUpdate.object.metadata.annotations?.[REVISION_ANNOTATION]).toBe('3')
  })

  test('Recreate scales old to zero and waits for its pods before creating the new ReplicaSet', () => {
    const v1 = deployment({strategy: {type: 'Recreate'}})
    const v2 = deployment({strategy: {type: 'Recreate'}, image: 'web:2'})
    const first = reconcileDeployment({deployment: v2, replicaSets: [replicaSet(v1, {replicas: 10})], now: NOW})
    expect(ofType(first.actions, 'create')).toHaveLength(0)
    expect(replicasOf(ofType(first.actions, 'update')[0])).toBe(0)
    const draining = replicaSet(v1, {replicas: 0})
    draining.status = {replicas: 2, readyReplicas: 0, availableReplicas: 0}
    expect(ofType(reconcileDeployment({deployment: v2, replicaSets: [draining], now: NOW}).actions, 'create')).toHaveLength(0)
    const gone = replicaSet(v1, {replicas: 0})
    const last = reconcileDeployment({deployment: v2, replicaSets: [gone], now: NOW})
    expect(replicasOf(ofType(last.actions, 'create')[0])).toBe(10)
  })

  test('a paused Deployment does not roll out a new template but still scales', () => {
    const v1 = deployment()
    const paused = deployment({image: 'web:2', paused: true, replicas: 12})
    const {actions, status} = reconcileDeployment({deployment: paused, replicaSets: [replicaSet(v1, {replicas: 10})], now: NOW})
    expect(ofType(actions, 'create')).toHaveLength(0)
    expect(replicasOf(ofType(actions, 'update')[0])).toBe(12)
    expect(condition(status, 'Progressing')).toMatchObject({status: 'Unknown', reason: 'DeploymentPaused'})
  })

  test('no progress past progressDeadlineSeconds (scaled) -> ProgressDeadlineExceeded', () => {
    const v2 = deployment({image: 'web:2'})
    const stuck = replicaSet(v2, {replicas: 10, available: 0})
    stuck.status = {replicas: 10, readyReplicas: 0, availableReplicas: 0}
    const lastUpdate = new Date(NOW - 700).toISOString()
    const d = deployment({
      image: 'web:2',
      status: {
        observedGeneration: 1,
        replicas: 10,
        updatedReplicas: 10,
        readyReplicas: 0,
        availableReplicas: 0,
        conditions: [{type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: lastUpdate, lastTransitionTime: lastUpdate}],
      },
    })
    const early = reconcileDeployment({deployment: d, replicaSets: [stuck], now: NOW, progressDeadlineScale: 0.01}) // 6 s deadline
    expect(condition(early.status, 'Progressing')).toMatchObject({reason: 'ReplicaSetUpdated'})
    expect(early.requeueAfterMs).toBeGreaterThan(5000)
    const late = reconcileDeployment({deployment: d, replicaSets: [stuck], now: NOW, progressDeadlineScale: 0.001}) // 0.6 s deadline
    expect(condition(late.status, 'Progressing')).toMatchObject({status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${stuck.metadata.name}" has timed out progressing.`})
  })

  test('a finished rollout reports NewReplicaSetAvailable and trims history to revisionHistoryLimit', () => {
    const d = deployment({image: 'web:4', revisionHistoryLimit: 1})
    const sets = [1, 2, 3].map((n) => replicaSet(deployment({image: `web:${n}`}), {replicas: 0, revision: n}))
    const current = replicaSet(d, {replicas: 10, revision: 4})
    const {actions, status} = reconcileDeployment({deployment: d, replicaSets: [...sets, current], now: NOW})
    expect(condition(status, 'Progressing')).toMatchObject({status: 'True', reason: 'NewReplicaSetAvailable'})
    expect(ofType(actions, 'delete').map((a) => (a as {name: string}).name)).toEqual([sets[0].metadata.name, sets[1].metadata.name])
  })

  test('scaling mid-rollout resizes every active ReplicaSet in proportion (worked example)', () => {
    const v1 = deployment()
    const v2 = deployment({image: 'web:2', generation: 2})
    const old = replicaSet(v1, {replicas: 8, created: '2026-11-23T10:00:00Z'})
    const fresh = replicaSet(v2, {replicas: 5, available: 0, revision: 2})
    const scaled = deployment({image: 'web:2', generation: 3, replicas: 20, status: {replicas: 13}})
    const {actions} = reconcileDeployment({deployment: scaled, replicaSets: [old, fresh], now: NOW})
    const sizes = Object.fromEntries(ofType(actions, 'update').filter((a) => (a as {object: KubeObject}).object.kind === 'ReplicaSet').map((a) => [(a as {object: KubeObject}).object.metadata.name, replicasOf(a)]))
    expect(sizes).toEqual({[old.metadata.name as string]: 15, [fresh.metadata.name as string]: 10})
  })

  test('a reconcile with nothing to change writes nothing', () => {
    const d = deployment({replicas: 2})
    const rs = replicaSet(d, {replicas: 2, revision: 1})
    const first = reconcileDeployment({deployment: d, replicaSets: [rs], now: NOW})
    const settled = {...d, metadata: {...d.metadata, annotations: {[REVISION_ANNOTATION]: '1'}}, status: first.status}
    expect(reconcileDeployment({deployment: settled, replicaSets: [rs], now: NOW + 5000}).actions).toEqual([])
  })
})

describe('template identity', () => {
  test('the template kubectl rollout undo sends back (creationTimestamp: null, resources: {}) finds the old ReplicaSet', async () => {
    const {computeTemplateHash, templatesEqualIgnoringHash} = await import('../../../../src/local-cluster/controllers/template-hash.js')
    const stored = {metadata: {labels: {app: 'web', 'pod-template-hash': 'abc'}}, spec: {containers: [{name: 'app', image: 'web:1'}], securityContext: {}}}
    const fromUndo = {metadata: {creationTimestamp: null, labels: {app: 'web'}}, spec: {containers: [{name: 'app', image: 'web:1', resources: {}}], securityContext: {}}}
    expect(templatesEqualIgnoringHash(stored, fromUndo)).toBe(true)
    expect(computeTemplateHash(stored)).toBe(computeTemplateHash(fromUndo))
    expect(templatesEqualIgnoringHash(stored, {...fromUndo, spec: {containers: [{name: 'app', image: 'web:2'}]}})).toBe(false)
  })
})

describe('resolveTiming', () => {
  test('undefined, negative and non-finite values keep the defaults', async () => {
    const {resolveTiming, DEFAULT_TIMING} = await import('../../../../src/local-cluster/controllers/index.js')
    expect(resolveTiming({podStartupMs: undefined, readinessDelayMs: 0, jobRunMs: -5, progressDeadlineScale: Number.NaN})).toEqual({...DEFAULT_TIMING, readinessDelayMs: 0})
    expect(resolveTiming(undefined)).toEqual(DEFAULT_TIMING)
  })
})
