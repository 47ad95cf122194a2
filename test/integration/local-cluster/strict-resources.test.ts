import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {pollUntil, startKubectlCluster, type KubectlCluster} from '../../helpers/kubectl-cluster.js'

/**
 * Quota, LimitRange, node capacity and storage as kubectl sees them against the local control
 * plane. Expected texts are upstream's: the ResourceQuota admission plugin
 * (apiserver/pkg/admission/plugin/resourcequota/controller.go "exceeded quota: %s, requested: %s,
 * used: %s, limited: %s"), the scheduler's FitError with the DefaultPreemption post-filter
 * ("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No
 * preemption victims found for incoming pod."; VolumeBinding's "pod has unbound immediate
 * PersistentVolumeClaims"), and the persistent-volume controller (ProvisioningFailed with
 * `storageclass.storage.k8s.io "fast" not found`).
 */
let cluster: KubectlCluster

beforeAll(async () => {
  cluster = await startKubectlCluster('res', {podStartupMs: 10, readinessDelayMs: 10})
})

afterAll(async () => {
  await cluster?.close()
})

const kubectl = (args: string[], input?: string) => cluster.kubectl(args, input)
const ok = async (args: string[], input?: string) => (await cluster.ok(args, input)).stdout
const jsonpath = (args: string[], path: string) => ok([...args, '-o', `jsonpath=${path}`])
const events = (ns: string, reason: string) => jsonpath(['get', 'events', '-n', ns, '--field-selector', `reason=${reason}`], '{range .items[*]}{.message}{"\\n"}{end}')
const pod = (name: string, ns: string, cpu?: string, extra = '') =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}\nspec:\n  containers:\n  - name: app\n    image: web:1\n${cpu ? `    resources: {requests: {cpu: "${cpu}", memory: 64Mi}}\n` : ''}${extra}`

describe('ResourceQuota and LimitRange', () => {
  beforeAll(async () => {
    await ok(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: team-quota, namespace: team}
spec:
  hard: {requests.cpu: "1", requests.memory: 1Gi, limits.cpu: "2", limits.memory: 2Gi, pods: "5"}
---
apiVersion: v1
kind: LimitRange
metadata: {name: team-limits, namespace: team}
spec:
  limits:
  - type: Container
    default: {cpu: 100m, memory: 128Mi}
    defaultRequest: {cpu: 50m, memory: 64Mi}
    max: {cpu: "1", memory: 1Gi}
`,
    )
  })

  test('a pod without resources gets the LimitRange defaults and is charged to the quota', async () => {
    await ok(['apply', '-f', '-'], pod('bare', 'team'))
    expect(await jsonpath(['get', 'pod', 'bare', '-n', 'team'], '{.spec.containers[0].resources.requests.cpu} {.spec.containers[0].resources.limits.memory}')).toBe('50m 128Mi')
    expect(await jsonpath(['get', 'pod', 'bare', '-n', 'team'], '{.metadata.annotations.kubernetes\\.io/limit-ranger}')).toBe(
      'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app',
    )
    const used = await pollUntil(() => jsonpath(['get', 'resourcequota', 'team-quota', '-n', 'team'], '{.status.used.requests\\.cpu} {.status.used.pods}'), (v) => v === '50m 1')
    expect(used).toBe('50m 1')
  })

  test('kubectl apply of a pod past the quota is Forbidden with the requested, used and limited figures', async () => {
    const greedy = 'apiVersion: v1\nkind: Pod\nmetadata: {name: greedy, namespace: team}\nspec:\n  containers: [{name: app, image: web:1, resources: {limits: {cpu: "1"}}}]\n'
    const result = await kubectl(['apply', '-f', '-'], greedy)
    expect(result.exitCode).toBe(1)
    expect(result.stderr.trim()).toBe(
      'Error from server (Forbidden): error when creating "STDIN": pods "greedy" is forbidden: exceeded quota: team-quota, requested: requests.cpu=1, used: requests.cpu=50m, limited: requests.cpu=1',
    )
  })

  test('a Deployment past the quota: FailedCreate events, then room once it scales down; kubectl get quota shows used/hard', async () => {
    await ok(
      ['apply', '-f', '-'],
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: team}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: app, image: api:1, resources: {requests: {cpu: 400m, memory: 128Mi}, limits: {cpu: 400m, memory: 128Mi}}}]
`,
    )
    const failed = await pollUntil(() => events('team', 'FailedCreate'), (m) => m.trim() !== '')
    expect(failed.trim().split('\n')[0]).toMatch(
      /^Error creating: pods "api-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: team-quota, requested: requests\.cpu=400m, used: requests\.cpu=850m, limited: requests\.cpu=1$/,
    )
    expect(await jsonpath(['get', 'pods', '-n', 'team', '-l', 'app=api'], '{range .items[*]}{.metadata.name}{"\\n"}{end}').then((o) => o.trim().split('\n').length)).toBe(2)
    const table = await ok(['get', 'resourcequota', 'team-quota', '-n', 'team', '--no-headers'])
    expect(table).toMatch(/team-quota\s+\S+\s+pods: 3\/5, requests\.cpu: 850m\/1, requests\.memory: 320Mi\/1Gi\s+limits\.cpu: 900m\/2, limits\.memory: 384Mi\/2Gi/)

    await ok(['scale', 'deployment/api', '-n', 'team', '--replicas=1'])
    await pollUntil(() => jsonpath(['get', 'resourcequota', 'team-quota', '-n', 'team'], '{.status.used.requests\\.cpu}'), (v) => v === '450m')
  })
})

describe('node capacity (3 simulated nodes, 7800m cpu and 31Gi allocatable each)', () => {
  test('a pod asking more cpu than any node has stays Pending with the scheduler\'s message', async () => {
    await ok(['apply', '-f', '-'], pod('huge', 'default', '8'))
    const condition = await pollUntil(() => jsonpath(['get', 'pod', 'huge'], '{.status.conditions[?(@.type=="PodScheduled")].message}'), (m) => m !== '')
    expect(condition).toBe('0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.')
    expect((await events('default', 'FailedScheduling')).trim().split('\n')).toContain(condition)
    expect(await jsonpath(['get', 'pod', 'huge'], '{.status.phase} {.spec.nodeName}')).toBe('Pending ')
    await ok(['delete', 'pod', 'huge', '--wait=false'])
  })

  test('requests add up per node; a freed node takes the waiting pod', async () => {
    for (const name of ['big-1', 'big-2', 'big-3']) await ok(['apply', '-f', '-'], pod(name, 'default', '5'))
    const nodes = await pollUntil(
      () => jsonpath(['get', 'pods', '-l', 'app in (big-1,big-2,big-3)'], '{range .items[*]}{.spec.nodeName}{"\\n"}{end}'),
      (out) => out.trim().split('\n').filter((n) => n !== '').length === 3,
    )
    expect(new Set(nodes.trim().split('\n')).size).toBe(3)
    await ok(['apply', '-f', '-'], pod('big-4', 'default', '5'))
    const waiting = await pollUntil(() => jsonpath(['get', 'pod', 'big-4'], '{.status.conditions[?(@.type=="PodScheduled")].message}'), (m) => m !== '')
    expect(waiting).toBe('0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.')
    await ok(['delete', 'pod', 'big-2'])
    await pollUntil(() => jsonpath(['get', 'pod', 'big-4'], '{.status.phase}'), (phase) => phase === 'Running')
  })
})

describe('storage', () => {
  test('the default StorageClass is standard', async () => {
    expect(await ok(['get', 'storageclass', '--no-headers'])).toMatch(/^standard \(default\)\s+local\.mygate\.dev\/volumes\s+Delete\s+Immediate\s+true\s+/)
  })

  test('a claim naming a missing class stays Pending, and so does its pod, until the class exists', async () => {
    await ok(['apply', '-f', '-'], `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: fast-data, namespace: default}
spec: {storageClassName: fast, accessModes: [ReadWriteOnce], resources: {requests: {storage: 5Gi}}}
`)
    await ok(['apply', '-f', '-'], pod('uses-fast', 'default', undefined, '  volumes: [{name: data, persistentVolumeClaim: {claimName: fast-data}}]\n'))
    const failed = await pollUntil(() => events('default', 'ProvisioningFailed'), (m) => m.trim() !== '')
    expect(failed.trim()).toBe('storageclass.storage.k8s.io "fast" not found')
    expect(await jsonpath(['get', 'pvc', 'fast-data'], '{.status.phase}')).toBe('Pending')
    const scheduling = await pollUntil(() => jsonpath(['get', 'pod', 'uses-fast'], '{.status.conditions[?(@.type=="PodScheduled")].message}'), (m) => m !== '')
    expect(scheduling).toBe('0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.')

    await ok(['apply', '-f', '-'], 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast}\nprovisioner: local.mygate.dev/volumes\nvolumeBindingMode: Immediate\n')
    await pollUntil(() => jsonpath(['get', 'pvc', 'fast-data'], '{.status.phase}'), (phase) => phase === 'Bound')
    await pollUntil(() => jsonpath(['get', 'pod', 'uses-fast'], '{.status.phase}'), (phase) => phase === 'Running')
    expect(await ok(['get', 'pvc', 'fast-data', '--no-headers'])).toMatch(/^fast-data\s+Bound\s+pvc-[0-9a-f-]+\s+5Gi\s+RWO\s+fast\s+<unset>\s+/)
  })

  test('a claim without a class gets standard; deleting it deletes its volume', async () => {
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: plain, namespace: default}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n')
    expect(await jsonpath(['get', 'pvc', 'plain'], '{.spec.storageClassName}')).toBe('standard')
    const volume = await pollUntil(() => jsonpath(['get', 'pvc', 'plain'], '{.spec.volumeName}'), (v) => v !== '')
    expect(await jsonpath(['get', 'pv', volume], '{.spec.claimRef.name} {.status.phase} {.spec.persistentVolumeReclaimPolicy}')).toBe('plain Bound Delete')
    await ok(['delete', 'pvc', 'plain'])
    await pollUntil(async () => (await kubectl(['get', 'pv', volume])).exitCode, (code) => code !== 0)
  })
})
