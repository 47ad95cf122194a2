import {execa} from 'execa'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {startApiServer, type ApiServer} from '../../../src/local-cluster/api-server/index.js'
import {createObjectStore, type LocalObjectStore} from '../../../src/local-cluster/store/index.js'
import {startCapturingApiServer, type CapturingApiServer} from '../../helpers/kubectl-capture.js'
import {kubectlPath, runKubectl, writeKubeconfig, type KubectlResult} from '../../helpers/kubectl.js'

const dir = mkdtempSync(join(tmpdir(), 'mygate-kubectl-'))
let server: ApiServer
let store: LocalObjectStore
let kubeconfig: string

beforeAll(async () => {
  store = createObjectStore({stateFile: join(dir, 'state.json')})
  server = await startApiServer({store})
  kubeconfig = writeKubeconfig(server.url, dir)
})

afterAll(async () => {
  await server?.close()
  await store?.close()
  rmSync(dir, {recursive: true, force: true})
})

async function kubectl(args: string[], input?: string, version?: string): Promise<KubectlResult> {
  return runKubectl(args, {kubeconfig, input, version})
}

/** Runs kubectl and fails the test with its stderr when it does not exit 0. */
async function ok(args: string[], input?: string, version?: string): Promise<string> {
  const result = await kubectl(args, input, version)
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}\n${result.stdout}`)
  return result.stdout
}

function deploymentYaml(name: string, image: string, replicas = 2): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: app
        image: ${image}
        ports: [{containerPort: 8080}]
        env: [{name: MODE, value: demo}]
`
}

function configMapYaml(name: string, data: Record<string, string>): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata: ${JSON.stringify(data)}\n`
}

const deployments = {group: 'apps', resource: 'deployments'}

describe('real kubectl against the local API server', () => {
  test('kubectl is installed (these tests fail rather than skip without it)', () => {
    expect(kubectlPath('1.33')).toMatch(/kubectl/)
    expect(kubectlPath('1.27')).toMatch(/kubectl/)
  })

  test('apply (client-side) creates, re-apply configures, then get in every output form', async () => {
    expect(await ok(['apply', '-f', '-'], deploymentYaml('web', 'web:1'))).toContain('deployment.apps/web created')
    expect(await ok(['apply', '-f', '-'], deploymentYaml('web', 'web:2'))).toContain('deployment.apps/web configured')
    const stored = store.get(deployments, 'default', 'web')!
    expect((stored.spec as {template: {spec: {containers: Array<{image: string; env: unknown[]}>}}}).template.spec.containers[0]).toMatchObject({image: 'web:2', env: [{name: 'MODE', value: 'demo'}]})
    expect(stored.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain('web:2')

    const table = await ok(['get', 'deployments'])
    expect(table).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/)
    expect(table).toMatch(/^web\s+0\/2\s+0\s+0\s+\d+s$/m)
    expect(await ok(['get', 'deployments', '-o', 'wide'])).toMatch(/CONTAINERS\s+IMAGES\s+SELECTOR[\s\S]*web\s.*app\s+web:2\s+app=web/)
    expect(await ok(['get', 'deployment', 'web', '-o', 'yaml'])).toContain('image: web:2')
    expect(JSON.parse(await ok(['get', 'deployment', 'web', '-o', 'json'])).spec.replicas).toBe(2)
    expect(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).toBe('web:2')
    expect((await ok(['get', 'deploy', '-o', 'name'])).trim()).toBe('deployment.apps/web')
    expect(await ok(['get', 'all'])).toContain('deployment.apps/web')
    expect(await ok(['get', 'namespaces'])).toMatch(/default\s+Active/)
  })

  test('describe deployment shows the defaults the server filled in', async () => {
    const out = await ok(['describe', 'deployment', 'web'])
    expect(out).toMatch(/Name:\s+web/)
    expect(out).toMatch(/StrategyType:\s+RollingUpdate/)
    expect(out).toMatch(/RollingUpdateStrategy:\s+25% max unavailable, 25% max surge/)
    expect(out).toMatch(/Port:\s+8080\/TCP/)
  })

  test('apply --server-side: serverside-applied, conflicts with another manager, --force-conflicts', async () => {
    expect(await ok(['apply', '--server-side', '-f', '-'], deploymentYaml('api', 'api:1'))).toContain('deployment.apps/api serverside-applied')
    const managed = store.get(deployments, 'default', 'api')!.metadata.managedFields as Array<{manager: string; operation: string}>
    expect(managed).toContainEqual(expect.objectContaining({manager: 'kubectl', operation: 'Apply'}))
    const conflict = await kubectl(['apply', '--server-side', '--field-manager', 'other', '-f', '-'], deploymentYaml('api', 'api:2'))
    expect(conflict.exitCode).not.toBe(0)
    expect(conflict.stderr).toContain('conflict with "kubectl"')
    expect(conflict.stderr).toContain('.spec.template.spec.containers[name="app"].image')
    await ok(['apply', '--server-side', '--field-manager', 'other', '--force-conflicts', '-f', '-'], deploymentYaml('api', 'api:2'))
    expect(await ok(['get', 'deploy', 'api', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).toBe('api:2')
  })

  test('patch: merge, json and strategic', async () => {
    await ok(['patch', 'deployment', 'web', '--type', 'merge', '-p', '{"metadata":{"labels":{"tier":"front"}}}'])
    await ok(['patch', 'deployment', 'web', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3}]'])
    await ok(['patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"web:3"}]}}}}'])
    const web = store.get(deployments, 'default', 'web')!
    expect(web.metadata.labels).toEqual({app: 'web', tier: 'front'})
    const spec = web.spec as {replicas: number; template: {spec: {containers: Array<{name: string; image: string; env: unknown[]}>}}}
    expect(spec.replicas).toBe(3)
    expect(spec.template.spec.containers).toHaveLength(1)
    expect(spec.template.spec.containers[0]).toMatchObject({name: 'app', image: 'web:3', env: [{name: 'MODE', value: 'demo'}]})
  })

  test('scale', async () => {
    expect(await ok(['scale', 'deployment', 'web', '--replicas=5'])).toContain('deployment.apps/web scaled')
    expect((store.get(deployments, 'default', 'web')!.spec as {replicas: number}).replicas).toBe(5)
  })

  test('explain deployment.spec.replicas', async () => {
    const out = await ok(['explain', 'deployment.spec.replicas'])
    expect(out).toMatch(/KIND:\s+Deployment/)
    expect(out).toMatch(/FIELD:\s+replicas <integer>/)
    expect(out).toContain('Number of desired pods')
  })

  test('rollout history and undo read ReplicaSets by owner and patch the deployment', async () => {
    const web = store.get(deployments, 'default', 'web')!
    const template = (image: string) => ({metadata: {labels: {app: 'web'}}, spec: {containers: [{name: 'app', image}]}})
    for (const [revision, image] of [['1', 'web:1'], ['2', 'web:3']] as const) {
      store.create({group: 'apps', resource: 'replicasets'}, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `web-rev${revision}`,
          namespace: 'default',
          labels: {app: 'web'},
          annotations: {'deployment.kubernetes.io/revision': revision},
          ownerReferences: [{apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: web.metadata.uid!, controller: true, blockOwnerDeletion: true}],
        },
        spec: {replicas: 0, selector: {matchLabels: {app: 'web'}}, template: template(image)},
      })
    }
    const history = await ok(['rollout', 'history', 'deployment/web'])
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/)
    expect(await ok(['rollout', 'undo', 'deployment/web', '--to-revision=1'])).toContain('rolled back')
    expect(await ok(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).toBe('web:1')
  })

  test('get --watch streams changes', async () => {
    await ok(['create', 'configmap', 'watched', '--from-literal=a=1'])
    const child = execa(kubectlPath(), ['--kubeconfig', kubeconfig, 'get', 'configmaps', '--watch', '--output-watch-events'], {reject: false, env: {HOME: dir, KUBECACHEDIR: join(dir, 'cache')}})
    const lines: string[] = []
    const waitFor = (pattern: RegExp): Promise<boolean> =>
      new Promise((resolve) => {
        const check = (): boolean => lines.some((l) => pattern.test(l))
        if (check()) return resolve(true)
        const timer = setTimeout(() => resolve(check()), 15_000)
        child.stdout!.on('data', () => {
          if (check()) {
            clearTimeout(timer)
            resolve(true)
          }
        })
      })
    // kubectl's output can arrive split mid-line: collect whole lines only.
    let partial = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n')
      partial = parts.pop() ?? ''
      lines.push(...parts.filter((l) => l.trim() !== ''))
    })
    // Patch only once the watch has shown the current state, so the change arrives as an event.
    expect(await waitFor(/ADDED\s+watched\s+1/)).toBe(true)
    await ok(['patch', 'configmap', 'watched', '--type', 'merge', '-p', '{"data":{"b":"2"}}'])
    expect(await waitFor(/MODIFIED\s+watched\s+2/)).toBe(true)
    child.kill()
    await child
    expect(lines[0]).toMatch(/EVENT\s+NAME\s+DATA\s+AGE/)
    expect(lines.some((l) => /ADDED\s+watched\s+1/.test(l))).toBe(true)
    expect(lines.some((l) => /MODIFIED\s+watched\s+2/.test(l))).toBe(true)
  })

  test('wait --for=jsonpath on a ConfigMap returns once the value appears', async () => {
    await ok(['apply', '-f', '-'], configMapYaml('flag', {ready: 'no'}))
    const waiting = kubectl(['wait', '--for=jsonpath={.data.ready}=yes', 'configmap/flag', '--timeout=20s'])
    await new Promise((resolve) => setTimeout(resolve, 1000))
    await ok(['patch', 'configmap', 'flag', '--type', 'merge', '-p', '{"data":{"ready":"yes"}}'])
    const result = await waiting
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toContain('configmap/flag condition met')
  })

  test('delete with cascading options; a foreground delete waits for the GC (finalizer set)', async () => {
    expect(await ok(['delete', 'deployment', 'api'])).toContain('deployment.apps "api" deleted')
    expect(store.get(deployments, 'default', 'api')).toBeUndefined()
    const foreground = await kubectl(['delete', 'deployment', 'web', '--cascade=foreground', '--wait=false'])
    expect(foreground.exitCode, foreground.stderr).toBe(0)
    expect(store.get(deployments, 'default', 'web')?.metadata.finalizers).toEqual(['foregroundDeletion'])
    const orphaned = await kubectl(['delete', 'configmap', 'watched', '--cascade=orphan', '--wait=false'])
    expect(orphaned.exitCode, orphaned.stderr).toBe(0)
    expect(store.get({group: '', resource: 'configmaps'}, 'default', 'watched')?.metadata.finalizers).toEqual(['orphan'])
  })

  test('kubectl 1.27 (OpenAPI v2 as protobuf): get and apply', async () => {
    expect(await ok(['apply', '-f', '-'], deploymentYaml('old', 'old:1'), '1.27')).toContain('deployment.apps/old created')
    expect(await ok(['apply', '-f', '-'], deploymentYaml('old', 'old:2'), '1.27')).toContain('deployment.apps/old configured')
    expect(await ok(['apply', '--server-side', '-f', '-'], deploymentYaml('old-ssa', 'x:1'), '1.27')).toContain('serverside-applied')
    expect(await ok(['get', 'deployments', 'old', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'], undefined, '1.27')).toBe('old:2')
    expect(await ok(['get', 'deployments'], undefined, '1.27')).toMatch(/\nold\s+0\/2/)
  })

  test.each(['1.28', '1.29', '1.30', '1.31', '1.32'])('kubectl %s: apply and get', async (version) => {
    const name = `v${version.replace('.', '-')}`
    expect(await ok(['apply', '-f', '-'], deploymentYaml(name, 'img:1'), version)).toContain(`deployment.apps/${name} created`)
    expect(await ok(['get', 'deployment', name, '-o', 'name'], undefined, version)).toContain(`deployment.apps/${name}`)
  })
})

/**
 * `kubectl create` with the typed generators: kubectl 1.27 to 1.31 send JSON, 1.32 and later
 * protobuf (and client-go does not fall back to JSON on a 415). Each version talks to its own
 * server through a recording proxy, so the test also proves which encoding it exercised; the
 * objects are read back with `kubectl get -o json`.
 */
describe.each([
  ['1.27', 'application/json'],
  ['1.33', 'application/vnd.kubernetes.protobuf'],
])('kubectl %s create (bodies sent as %s)', (version, bodyType) => {
  let capture: CapturingApiServer
  const files = mkdtempSync(join(tmpdir(), 'mygate-create-'))
  const blob = Buffer.from(Array.from({length: 256}, (_, i) => 255 - i))

  beforeAll(async () => {
    capture = await startCapturingApiServer()
    writeFileSync(join(files, 'blob.bin'), blob)
  })

  afterAll(async () => {
    await capture?.close()
    rmSync(files, {recursive: true, force: true})
  })

  async function run(args: string[]): Promise<string> {
    const result = await runKubectl(args, {kubeconfig: capture.kubeconfig, version})
    if (result.exitCode !== 0) throw new Error(`kubectl ${version} ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}`)
    return result.stdout
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const getJson = async (...what: string[]): Promise<Record<string, any>> => JSON.parse(await run(['get', ...what, '-o', 'json']))

  /** The content types of the bodies kubectl sent to a collection. */
  const sent = (collection: string): string[] => capture.sentTo(collection).map((request) => request.contentType)

  test('create namespace', async () => {
    expect(await run(['create', 'namespace', 'team-a'])).toBe('namespace/team-a created')
    const namespace = await getJson('namespace', 'team-a')
    expect(namespace.metadata.name).toBe('team-a')
    expect(namespace.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(namespace.status.phase).toBe('Active')
    expect(sent('/namespaces')).toEqual([bodyType])
  })

  test('create configmap --from-literal', async () => {
    expect(await run(['create', 'configmap', 'settings', '--from-literal=mode=fast', '--from-literal=empty='])).toBe('configmap/settings created')
    expect((await getJson('configmap', 'settings')).data).toEqual({mode: 'fast', empty: ''})
    expect(sent('/configmaps')).toEqual([bodyType])
  })

  test('create secret generic --from-literal --from-file: data round-trips byte for byte', async () => {
    expect(await run(['create', 'secret', 'generic', 'creds', '--from-literal=password=p@ss wörd', `--from-file=blob=${join(files, 'blob.bin')}`])).toBe('secret/creds created')
    const secret = await getJson('secret', 'creds')
    expect(secret.type).toBe('Opaque')
    expect(Object.keys(secret.data).sort()).toEqual(['blob', 'password'])
    expect(Buffer.from(secret.data.password, 'base64').toString('utf8')).toBe('p@ss wörd')
    expect(Buffer.from(secret.data.blob, 'base64').equals(blob)).toBe(true)
    expect(sent('/secrets')).toEqual([bodyType])
  })

  test('create job --image -- command', async () => {
    expect(await run(['create', 'job', 'once', '--image=busybox:1.36', '--', 'echo', 'hi'])).toBe('job.batch/once created')
    const spec = (await getJson('job', 'once')).spec.template.spec
    expect(spec.containers).toHaveLength(1)
    expect(spec.containers[0]).toMatchObject({name: 'once', image: 'busybox:1.36', command: ['echo', 'hi']})
    expect(spec.restartPolicy).toBe('Never')
    expect(sent('/jobs')).toEqual([bodyType])
  })

  test('create deployment --image --port --replicas, and --replicas=0 stays 0', async () => {
    expect(await run(['create', 'deployment', 'web', '--image=nginx:1.27', '--port=80', '--replicas=3'])).toBe('deployment.apps/web created')
    const web = await getJson('deployment', 'web')
    expect(web.metadata.labels).toEqual({app: 'web'})
    expect(web.spec.replicas).toBe(3)
    expect(web.spec.selector).toEqual({matchLabels: {app: 'web'}})
    expect(web.spec.template.spec.containers[0]).toMatchObject({name: 'nginx', image: 'nginx:1.27', ports: [{containerPort: 80, protocol: 'TCP'}]})
    await run(['create', 'deployment', 'idle', '--image=nginx:1.27', '--replicas=0'])
    expect((await getJson('deployment', 'idle')).spec.replicas).toBe(0)
    expect(sent('/deployments')).toEqual([bodyType, bodyType])
    // describe reads through typed clients that prefer protobuf and get JSON back.
    expect(await run(['describe', 'deployment', 'web'])).toMatch(/Replicas:\s+3 desired/)
  })

  test('create service clusterip --tcp', async () => {
    expect(await run(['create', 'service', 'clusterip', 'api', '--tcp=80:8080'])).toBe('service/api created')
    const service = await getJson('service', 'api')
    expect(service.spec.type).toBe('ClusterIP')
    expect(service.spec.selector).toEqual({app: 'api'})
    expect(service.spec.ports).toEqual([{name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080}])
    expect(service.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    expect(sent('/services')).toEqual([bodyType])
  })
})
