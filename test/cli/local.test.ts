import {execa} from 'execa'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {REPO_ROOT, parseEnvelope, type CliResult} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

interface Status {
  running: boolean
  started?: boolean
  kubeconfig: string
  clusters: Array<{name: string; url: string; objects: number}>
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  namespace: default
spec:
  replicas: 3
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
        - name: hello
          image: nginx:1.27
          ports: [{containerPort: 80}]
`

describe('mygate local start|stop|status with real kubectl', () => {
  let local: LocalHome
  let kubeconfig: string
  /** The first `local start`, run once for every test here; the start test checks what it did. */
  let started: CliResult
  let status: Status
  beforeAll(async () => {
    local = createLocalHome()
    started = await local.cli(['local', 'start'])
    status = parseEnvelope<{result: Status}>((await local.cli(['local', 'status', '--json'])).stdout).result
    kubeconfig = status.kubeconfig
  })
  afterAll(async () => {
    await local.cleanup()
  })

  test('status before start says it is not running', async () => {
    // A home of its own: this file's daemon is already running.
    const fresh = createLocalHome()
    try {
      const run = await fresh.cli(['local', 'status', '--json'])
      expect(run.exitCode).toBe(0)
      expect(parseEnvelope<{result: Status}>(run.stdout).result.running).toBe(false)
    } finally {
      await fresh.cleanup()
    }
  })

  test('start runs the daemon detached, makes a default cluster and prints the kubectl line', async () => {
    expect(started.exitCode, started.stderr).toBe(0)
    expect(started.stderr).toContain('Started the local control plane')
    expect(started.stdout).toMatch(/kubectl --kubeconfig \S+kubeconfig\.yaml get nodes/)
    expect(status.running).toBe(true)
    expect(status.clusters.map((c) => c.name)).toEqual(['default'])
    expect(existsSync(kubeconfig)).toBe(true)
  })

  test('start again is idempotent', async () => {
    const run = await local.cli(['local', 'start', '--json'])
    expect(run.exitCode).toBe(0)
    expect(parseEnvelope<{result: Status}>(run.stdout).result.started).toBe(false)
  })

  test('~/.kube/config is untouched unless --merge-kubeconfig asks for it', async () => {
    const home = join(local.home, 'user-home')
    const user = join(local.home, 'user-kubeconfig.yaml')
    writeFileSync(user, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts:\n- name: work\n  context: {cluster: work, user: work}\ncurrent-context: work\n')
    await local.cli(['local', 'start'], {env: {HOME: home}})
    expect(existsSync(join(home, '.kube', 'config'))).toBe(false)
    const merged = await local.cli(['local', 'start', '--merge-kubeconfig'], {env: {KUBECONFIG: user}})
    expect(merged.exitCode, merged.stderr).toBe(0)
    expect(merged.stdout).toContain(`Added the local contexts to ${user}`)
    const contexts = await runKubectl(['config', 'get-contexts', '-o', 'name'], {kubeconfig: user})
    expect(contexts.stdout.split('\n').sort()).toEqual(['mygate-local-default', 'work'])
    const current = await runKubectl(['config', 'current-context'], {kubeconfig: user})
    expect(current.stdout.trim()).toBe('work')
  })

  test('kubectl apply --server-side, then rollout status completes', async () => {
    const file = join(local.home, 'hello.yaml')
    writeFileSync(file, deployment)
    const apply = await runKubectl(['apply', '--server-side', '-f', file], {kubeconfig})
    expect(apply.exitCode, apply.stderr).toBe(0)
    expect(apply.stdout).toContain('deployment.apps/hello serverside-applied')
    const rollout = await runKubectl(['rollout', 'status', 'deployment/hello', '-n', 'default', '--timeout=30s'], {kubeconfig})
    expect(rollout.exitCode, rollout.stderr).toBe(0)
    expect(rollout.stdout).toContain('successfully rolled out')
    const pods = await runKubectl(['get', 'pods', '-n', 'default', '-l', 'app=hello', '-o', 'jsonpath={.items[*].status.phase}'], {kubeconfig})
    expect(pods.stdout.split(' ')).toEqual(['Running', 'Running', 'Running'])
  })

  test('mygate render pipes into kubectl apply (client-side and server-side)', async () => {
    const rendered = await local.cli(['render', '--env', 'dev'])
    expect(rendered.exitCode, rendered.stderr).toBe(0)
    const serverSide = await runKubectl(['apply', '--server-side', '-f', '-'], {kubeconfig, input: rendered.stdout})
    expect(serverSide.exitCode, serverSide.stderr).toBe(0)
    expect(serverSide.stdout).toContain('statefulset.apps/redis serverside-applied')
    const clientSide = await runKubectl(['apply', '-f', '-'], {kubeconfig, input: rendered.stdout})
    expect(clientSide.exitCode, clientSide.stderr).toBe(0)
    const args = await runKubectl(['get', 'statefulset', 'redis', '-n', 'mygate-data', '-o', 'jsonpath={.spec.template.spec.containers[0].args}'], {kubeconfig})
    expect(JSON.parse(args.stdout)).toContain('yes')
  })

  test('stop and start keep every object', async () => {
    const apply = await runKubectl(['apply', '-f', '-'], {kubeconfig, input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept, namespace: default}\ndata: {a: "1"}\n'})
    expect(apply.exitCode, apply.stderr).toBe(0)
    const stop = await local.cli(['local', 'stop'])
    expect(stop.exitCode).toBe(0)
    expect(stop.stdout).toContain('Stopped the local control plane')
    const down = await runKubectl(['get', 'deployments', '-n', 'default'], {kubeconfig})
    expect(down.exitCode).not.toBe(0)
    expect((await local.cli(['local', 'start'])).exitCode).toBe(0)
    const after = await runKubectl(['get', 'configmap', 'kept', '-n', 'default', '-o', 'jsonpath={.data.a}'], {kubeconfig})
    expect(after.exitCode, after.stderr).toBe(0)
    expect(after.stdout).toBe('1')
  })

  test('a second server on the same state directory is refused with a clear message', async () => {
    const second = await execa(process.execPath, [join(REPO_ROOT, 'dist/src/local-cluster/daemon/main.js')], {
      env: {...local.env},
      reject: false,
      stdin: 'ignore',
    })
    expect(second.exitCode).not.toBe(0)
    expect(second.stdout).toMatch(/already running/)
  })
})
