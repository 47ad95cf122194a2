import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {pollUntil, startKubectlCluster, type KubectlCluster} from '../../helpers/kubectl-cluster.js'

/**
 * Pod Security admission as kubectl sees it. Expected texts are upstream's
 * (k8s.io/pod-security-admission: admission.go "violates PodSecurity %q: %s" and
 * "would violate PodSecurity %q: %s"; policy/check_*.go for the reasons; the controllers'
 * FailedCreate events: replica_set.go "Error creating: %v", stateful_pod_control.go
 * "create Pod %s in StatefulSet %s failed error: %s", job_controller.go "Error creating: %v").
 */
let cluster: KubectlCluster

beforeAll(async () => {
  cluster = await startKubectlCluster('pss', {podStartupMs: 10, readinessDelayMs: 10, jobRunMs: 20})
})

afterAll(async () => {
  await cluster?.close()
})

const kubectl = (args: string[], input?: string) => cluster.kubectl(args, input)
const ok = (args: string[], input?: string) => cluster.ok(args, input)

const BARE_VIOLATIONS =
  'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), ' +
  'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), ' +
  'runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), ' +
  'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'

const HARDENED = `securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: app
        image: web:1
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}`

const namespace = (name: string, labels: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels: {${labels}}\n`

const eventMessages = async (ns: string, reason: string): Promise<string[]> => {
  const out = await ok(['get', 'events', '-n', ns, '--field-selector', `reason=${reason}`, '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}'])
  return out.stdout.split('\n').filter((line) => line !== '')
}

describe('Pod Security admission (restricted namespace)', () => {
  beforeAll(async () => {
    await ok(['apply', '-f', '-'], namespace('apps', 'pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: latest'))
  })

  test('a violating pod is rejected with upstream\'s message', async () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: bare, namespace: apps}\nspec:\n  containers: [{name: app, image: web:1}]\n'
    const result = await kubectl(['apply', '-f', '-'], pod)
    expect(result.exitCode).toBe(1)
    expect(result.stderr.trim()).toBe(`Error from server (Forbidden): error when creating "STDIN": pods "bare" is forbidden: violates PodSecurity "restricted:latest": ${BARE_VIOLATIONS}`)
    expect((await kubectl(['get', 'pod', 'bare', '-n', 'apps'])).exitCode).toBe(1)
  })

  test('a hardened pod is admitted', async () => {
    await ok(['apply', '-f', '-'], `apiVersion: v1\nkind: Pod\nmetadata: {name: hardened, namespace: apps}\nspec:\n      ${HARDENED}\n`)
    expect((await ok(['get', 'pod', 'hardened', '-n', 'apps', '-o', 'name'])).stdout.trim()).toBe('pod/hardened')
  })

  test('a violating Deployment is accepted with a Warning; its ReplicaSet records FailedCreate and the Deployment shows ReplicaFailure', async () => {
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: web:1}]
`
    const applied = await ok(['apply', '-f', '-'], deployment)
    expect(applied.stderr).toContain(`Warning: would violate PodSecurity "restricted:latest": ${BARE_VIOLATIONS}`)
    const failed = await pollUntil(() => eventMessages('apps', 'FailedCreate'), (m) => m.length > 0)
    expect(failed[0]).toMatch(new RegExp(`^Error creating: pods "web-[a-z0-9]+-[a-z0-9]{5}" is forbidden: violates PodSecurity "restricted:latest": ${escape(BARE_VIOLATIONS)}$`))
    const condition = await pollUntil(
      async () => (await ok(['get', 'deployment', 'web', '-n', 'apps', '-o', 'jsonpath={.status.conditions[?(@.type=="ReplicaFailure")].reason}'])).stdout,
      (reason) => reason !== '',
    )
    expect(condition).toBe('FailedCreate')
    expect((await ok(['get', 'pods', '-n', 'apps', '-l', 'app=web', '-o', 'name'])).stdout.trim()).toBe('')
  })

  test('fixing the template lets the pods in and clears ReplicaFailure', async () => {
    const fixed = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      ${HARDENED}
`
    const applied = await ok(['apply', '-f', '-'], fixed)
    expect(applied.stderr).not.toContain('Warning')
    await ok(['rollout', 'status', 'deployment/web', '-n', 'apps', '--timeout=30s'])
    const conditions = await pollUntil(
      async () => (await ok(['get', 'deployment', 'web', '-n', 'apps', '-o', 'jsonpath={.status.conditions[*].type}'])).stdout,
      (types) => !types.includes('ReplicaFailure'),
    )
    expect(conditions.split(' ').sort()).toEqual(['Available', 'Progressing'])
  })

  test('StatefulSet and Job controllers record their own FailedCreate messages', async () => {
    await ok(['apply', '-f', '-'], namespace('batch', 'pod-security.kubernetes.io/enforce: baseline'))
    const privileged = `      containers: [{name: app, image: web:1, securityContext: {privileged: true}}]`
    await ok(
      ['apply', '-f', '-'],
      `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: batch}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
${privileged}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: batch}
spec:
  template:
    spec:
      restartPolicy: Never
${privileged}
`,
    )
    const violation = 'violates PodSecurity "baseline:latest": privileged (container "app" must not set securityContext.privileged=true)'
    const messages = await pollUntil(() => eventMessages('batch', 'FailedCreate'), (m) => m.length >= 2)
    expect(messages).toContain(`create Pod db-0 in StatefulSet db failed error: pods "db-0" is forbidden: ${violation}`)
    expect(messages.some((m) => new RegExp(`^Error creating: pods "migrate-[a-z0-9]{5}" is forbidden: ${escape(violation)}$`).test(m))).toBe(true)
  })

  test('invalid Pod Security labels are rejected on the namespace', async () => {
    const result = await kubectl(['label', 'namespace', 'apps', 'pod-security.kubernetes.io/enforce=strict', '--overwrite'])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted')
    expect((await ok(['get', 'namespace', 'apps', '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}'])).stdout).toBe('restricted')
  })

  test('tightening enforce warns about the existing pods that would now be rejected', async () => {
    await ok(['apply', '-f', '-'], namespace('loose', ''))
    for (const name of ['one', 'two', 'three']) {
      await ok(['apply', '-f', '-'], `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: loose}\nspec:\n  containers: [{name: app, image: web:1}]\n`)
    }
    const labelled = await ok(['label', 'namespace', 'loose', 'pod-security.kubernetes.io/enforce=restricted'])
    expect(labelled.stderr).toContain('Warning: existing pods in namespace "loose" violate the new PodSecurity enforce level "restricted:latest"')
    expect(labelled.stderr).toContain('Warning: one (and 2 other pods): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile')
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}


/**
 * ServiceAccount admission (plugin/pkg/admission/serviceaccount: "error looking up service
 * account %s/%s: %v" with the NotFound `serviceaccount "x" not found`).
 */
describe('ServiceAccount admission', () => {
  test('a pod naming a missing ServiceAccount is rejected; its Deployment retries until the account exists', async () => {
    await ok(['apply', '-f', '-'], namespace('accounts', ''))
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: lonely, namespace: accounts}\nspec:\n  serviceAccountName: billing\n  containers: [{name: app, image: web:1}]\n'
    const rejected = await kubectl(['apply', '-f', '-'], pod)
    expect(rejected.exitCode).toBe(1)
    expect(rejected.stderr.trim()).toBe(
      'Error from server (Forbidden): error when creating "STDIN": pods "lonely" is forbidden: error looking up service account accounts/billing: serviceaccount "billing" not found',
    )
    await ok(
      ['apply', '-f', '-'],
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: billing, namespace: accounts}
spec:
  selector: {matchLabels: {app: billing}}
  template:
    metadata: {labels: {app: billing}}
    spec:
      serviceAccountName: billing
      containers: [{name: app, image: web:1}]
`,
    )
    const failed = await pollUntil(() => eventMessages('accounts', 'FailedCreate'), (m) => m.length > 0)
    expect(failed[0]).toMatch(/^Error creating: pods "billing-[a-z0-9]+-[a-z0-9]{5}" is forbidden: error looking up service account accounts\/billing: serviceaccount "billing" not found$/)
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: billing, namespace: accounts}\n')
    await ok(['rollout', 'status', 'deployment/billing', '-n', 'accounts', '--timeout=30s'])
  })

  test('pods run as the namespace\'s default ServiceAccount, which every namespace gets', async () => {
    await pollUntil(() => ok(['get', 'serviceaccount', 'default', '-n', 'accounts', '-o', 'name']).then((r) => r.stdout.trim()), (name) => name === 'serviceaccount/default')
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: plain, namespace: accounts}\nspec:\n  containers: [{name: app, image: web:1}]\n')
    expect((await ok(['get', 'pod', 'plain', '-n', 'accounts', '-o', 'jsonpath={.spec.serviceAccountName}'])).stdout).toBe('default')
  })
})
