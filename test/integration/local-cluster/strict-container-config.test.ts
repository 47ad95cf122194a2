import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {pollUntil, startKubectlCluster, type KubectlCluster} from '../../helpers/kubectl-cluster.js'

/**
 * Missing Secrets, ConfigMaps and keys as kubectl shows them. Expected texts are the kubelet's
 * (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables; kuberuntime startContainer records
 * "Error: %v" with reason Failed; the volume manager's FailedMount
 * `MountVolume.SetUp failed for volume "x" : secret "y" not found`), and `kubectl get pods`
 * prints a waiting container's reason in STATUS.
 */
let cluster: KubectlCluster

beforeAll(async () => {
  cluster = await startKubectlCluster('cfg', {podStartupMs: 10, readinessDelayMs: 10})
  await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: mygate}\n')
})

afterAll(async () => {
  await cluster?.close()
})

const ok = async (args: string[], input?: string) => (await cluster.ok(args, input)).stdout
const podStatusColumn = async (selector: string) => (await ok(['get', 'pods', '-n', 'mygate', '-l', selector, '--no-headers'])).trim()
const eventMessages = async (reason: string) => (await ok(['get', 'events', '-n', 'mygate', '--field-selector', `reason=${reason}`, '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}'])).trim().split('\n')
const secret = (data: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: billing-db-credentials, namespace: mygate}\nstringData: {${data}}\n`

describe('a Deployment reading a Secret that does not exist', () => {
  beforeAll(async () => {
    await ok(
      ['apply', '-f', '-'],
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: billing, namespace: mygate}
spec:
  replicas: 2
  selector: {matchLabels: {app: billing}}
  template:
    metadata: {labels: {app: billing}}
    spec:
      containers:
      - name: billing
        image: billing:4.1.2
        env:
        - name: MONGODB_URI
          valueFrom: {secretKeyRef: {name: billing-db-credentials, key: uri}}
`,
    )
  })

  test('its pods wait in CreateContainerConfigError, as kubectl get pods shows', async () => {
    const table = await pollUntil(() => podStatusColumn('app=billing'), (out) => out.split('\n').filter((l) => l.includes('CreateContainerConfigError')).length === 2)
    for (const line of table.split('\n')) expect(line).toMatch(/^billing-[a-z0-9]+-[a-z0-9]{5}\s+0\/1\s+CreateContainerConfigError\s+0\s+/)
    expect(await ok(['get', 'pods', '-n', 'mygate', '-l', 'app=billing', '-o', 'jsonpath={.items[0].status.containerStatuses[0].state.waiting.message} {.items[0].status.phase}'])).toBe(
      'secret "billing-db-credentials" not found Pending',
    )
    expect(await eventMessages('Failed')).toContain('Error: secret "billing-db-credentials" not found')
  })

  test('a Secret without the key: couldn\'t find key uri', async () => {
    await ok(['apply', '-f', '-'], secret('username: billing'))
    await pollUntil(
      () => ok(['get', 'pods', '-n', 'mygate', '-l', 'app=billing', '-o', 'jsonpath={.items[*].status.containerStatuses[0].state.waiting.message}']),
      (out) => out.split("couldn't find key uri in Secret mygate/billing-db-credentials").length === 3,
    )
    expect(await eventMessages('Failed')).toContain("Error: couldn't find key uri in Secret mygate/billing-db-credentials")
  })

  test('the key appears: the kubelet retries on its own and the rollout completes', async () => {
    await ok(['apply', '-f', '-'], secret('username: billing, uri: "mongodb://billing-db-0.billing-db:27017/billing"'))
    expect(await ok(['rollout', 'status', 'deployment/billing', '-n', 'mygate', '--timeout=30s'])).toContain('successfully rolled out')
    // stringData is write-only: the server keeps the value base64-encoded in data.
    expect(await ok(['get', 'secret', 'billing-db-credentials', '-n', 'mygate', '-o', 'jsonpath={.data.username} {.stringData}'])).toBe(`${Buffer.from('billing').toString('base64')} `)
  })

  test('deleting the Secret leaves running pods alone; the next pod cannot start', async () => {
    await ok(['delete', 'secret', 'billing-db-credentials', '-n', 'mygate'])
    const [first] = (await ok(['get', 'pods', '-n', 'mygate', '-l', 'app=billing', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ')
    expect(await ok(['get', 'pod', first, '-n', 'mygate', '-o', 'jsonpath={.status.phase}'])).toBe('Running')
    await ok(['delete', 'pod', first, '-n', 'mygate'])
    const table = await pollUntil(() => podStatusColumn('app=billing'), (out) => out.includes('CreateContainerConfigError'))
    expect(table.split('\n').map((line) => line.split(/\s+/)[2]).sort()).toEqual(['CreateContainerConfigError', 'Running'])
  })
})

describe('a pod mounting a Secret that does not exist', () => {
  test('stays ContainerCreating with FailedMount, and starts once the Secret exists', async () => {
    await ok(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Pod
metadata: {name: redis-0, namespace: mygate, labels: {app: redis}}
spec:
  containers: [{name: redis, image: redis:7.2, volumeMounts: [{name: auth, mountPath: /etc/redis}]}]
  volumes: [{name: auth, secret: {secretName: redis-auth}}]
`,
    )
    const failed = await pollUntil(() => eventMessages('FailedMount'), (m) => m[0] !== '')
    expect(failed).toEqual(['MountVolume.SetUp failed for volume "auth" : secret "redis-auth" not found'])
    expect(await podStatusColumn('app=redis')).toMatch(/^redis-0\s+0\/1\s+ContainerCreating\s+/)
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\nmetadata: {name: redis-auth, namespace: mygate}\nstringData: {password: s3cret}\n')
    await ok(['wait', '--for=condition=Ready', 'pod/redis-0', '-n', 'mygate', '--timeout=20s'])
  })
})
