import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {startApiServer, type ApiServer} from '../../../src/local-cluster/api-server/index.js'
import {startControllers, type ControllersHandle} from '../../../src/local-cluster/controllers/index.js'
import {createPrometheusProxy} from '../../../src/local-cluster/metrics/index.js'
import {createObjectStore, type LocalObjectStore} from '../../../src/local-cluster/store/index.js'
import {runKubectl, writeKubeconfig} from '../../helpers/kubectl.js'

/** Real kubectl, real API server, real controllers: what a user's `kubectl rollout` sees. */
const dir = mkdtempSync(join(tmpdir(), 'mygate-controllers-kubectl-'))
let store: LocalObjectStore
let server: ApiServer
let controllers: ControllersHandle
let kubeconfig: string

beforeAll(async () => {
  store = createObjectStore()
  controllers = startControllers({store, clusterName: 'kc', region: 'local-1', timing: {podStartupMs: 20, readinessDelayMs: 20, progressDeadlineScale: 0.01}})
  server = await startApiServer({store, serviceProxy: createPrometheusProxy({store})})
  kubeconfig = writeKubeconfig(server.url, dir)
})

afterAll(async () => {
  await server?.close()
  await controllers?.stop()
  await store?.close()
  rmSync(dir, {recursive: true, force: true})
})

async function ok(args: string[], input?: string): Promise<string> {
  const result = await runKubectl(args, {kubeconfig, input, timeoutMs: 30_000})
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}\n${result.stdout}`)
  return result.stdout
}

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, app.kubernetes.io/name: web, app.kubernetes.io/version: "${image.split(':')[1]}"}}
    spec:
      containers:
      - {name: app, image: ${image}}
`

describe('kubectl against the simulated control plane', () => {
  test('apply --server-side, rollout status, set image, history, undo, wait Available', async () => {
    await ok(['apply', '--server-side', '-f', '-'], deployment('web:1'))
    expect(await ok(['rollout', 'status', 'deployment/web', '--timeout=20s'])).toContain('successfully rolled out')
    expect(await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].status.phase}'])).toBe('Running Running Running Running')

    await ok(['annotate', 'deployment/web', 'kubernetes.io/change-cause=to v2'])
    await ok(['set', 'image', 'deployment/web', 'app=web:2'])
    expect(await ok(['rollout', 'status', 'deployment/web', '--timeout=20s'])).toContain('successfully rolled out')
    const history = await ok(['rollout', 'history', 'deployment/web'])
    expect(history).toMatch(/^1\s/m)
    expect(history).toMatch(/^2\s+to v2/m)

    expect(await ok(['rollout', 'undo', 'deployment/web'])).toContain('rolled back')
    expect(await ok(['rollout', 'status', 'deployment/web', '--timeout=20s'])).toContain('successfully rolled out')
    expect(await ok(['get', 'deployment/web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}'])).toBe('web:1 3')
    // The old ReplicaSet was reused: still two ReplicaSets, revisions 2 and 3.
    const revisions = await ok(['get', 'rs', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.annotations.deployment\\.kubernetes\\.io/revision}'])
    expect(revisions.split(' ').sort()).toEqual(['2', '3'])
    expect(await ok(['wait', '--for=condition=Available', 'deployment/web', '--timeout=10s'])).toContain('condition met')
  })

  test('a crash-looping version: rollout status fails with the progress deadline', async () => {
    await ok(['apply', '-f', '-'], `apiVersion: local.mygate.dev/v1\nkind: Fault\nmetadata: {name: web-3}\nspec: {service: web, version: "3", crash: true}\n`)
    await ok(['patch', 'deployment/web', '--type=merge', '-p', '{"spec":{"progressDeadlineSeconds":30}}'])
    await ok(['set', 'image', 'deployment/web', 'app=web:3'])
    await ok(['patch', 'deployment/web', '--type=json', '-p', '[{"op":"replace","path":"/spec/template/metadata/labels/app.kubernetes.io~1version","value":"3"}]'])
    const result = await runKubectl(['rollout', 'status', 'deployment/web', '--timeout=20s'], {kubeconfig})
    expect(result.exitCode).not.toBe(0)
    expect(result.stderr).toContain('exceeded its progress deadline')
    const waiting = await ok(['get', 'pods', '-l', 'app.kubernetes.io/version=3', '-o', 'jsonpath={.items[*].status.containerStatuses[0].state.waiting.reason}'])
    expect(waiting.split(' ').every((reason) => reason === 'CrashLoopBackOff')).toBe(true)
    const reasons = await ok(['get', 'events', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}'])
    for (const reason of ['ScalingReplicaSet', 'SuccessfulCreate', 'Scheduled', 'Started', 'BackOff']) expect(reasons.split('\n')).toContain(reason)
    const podName = (await ok(['get', 'pods', '-l', 'app.kubernetes.io/version=3', '-o', 'jsonpath={.items[0].metadata.name}'])).trim()
    expect(await ok(['describe', 'pod', podName])).toMatch(/Warning\s+BackOff/)
  })

  test('delete --cascade=foreground removes the ReplicaSets and pods before the Deployment', async () => {
    await ok(['delete', 'deployment/web', '--cascade=foreground', '--timeout=20s'])
    expect(await ok(['get', 'rs,pods', '-l', 'app=web', '-o', 'name'])).toBe('')
  })

  test('StatefulSet rollout status, Job wait --for=condition=complete, Endpoints', async () => {
    await ok(
      ['apply', '-f', '-'],
      `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "mongo:7", ports: [{name: mongo, containerPort: 27017}]}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{name: mongo, port: 27017, targetPort: mongo}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: migrate, image: busybox}]}
`,
    )
    expect(await ok(['rollout', 'status', 'statefulset/db', '--timeout=20s'])).toMatch(/partitioned roll out complete|rolling update complete|2 pods at revision/)
    expect(await ok(['get', 'pvc', '-o', 'jsonpath={.items[*].status.phase}'])).toBe('Bound Bound')
    expect(await ok(['wait', '--for=condition=complete', 'job/migrate', '--timeout=20s'])).toContain('condition met')
    const addresses = await ok(['get', 'endpoints', 'db', '-o', 'jsonpath={.subsets[0].addresses[*].targetRef.name} {.subsets[0].ports[0].port}'])
    expect(addresses).toBe('db-0 db-1 27017')
  })

  test('the Prometheus API answers through the service proxy', async () => {
    const raw = await ok(['get', '--raw', '/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/api/v1/status/buildinfo'])
    expect(JSON.parse(raw)).toMatchObject({status: 'success'})
  })
})
