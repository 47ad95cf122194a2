import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {EnvironmentDiff, ObjectDrift} from '../../src/drift/diff.js'
import type {EnvironmentHistory} from '../../src/drift/history.js'
import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, createWithExternalSecrets, type LocalHome} from '../helpers/local-home.js'

/**
 * `mygate env diff` / `env sync` / `env history` (issue 13) through the built CLI against one
 * staging-tier local environment (HPAs on), with every change made by real kubectl.
 */
describe('configuration drift on a staging-tier local environment', () => {
  let local: LocalHome
  let kubeconfig: string
  const kubectl = async (...args: string[]) => {
    const result = await runKubectl(args, {kubeconfig})
    expect(result.exitCode, `kubectl ${args.join(' ')}: ${result.stderr}`).toBe(0)
    return result.stdout
  }
  const diff = async (...extra: string[]) => {
    const result = await local.cli(['env', 'diff', 's1', '--json', '--exit-code', ...extra])
    return {exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, diff: parseEnvelope<{result: EnvironmentDiff}>(result.stdout).result}
  }
  const object = (d: EnvironmentDiff, kind: string, name: string): ObjectDrift | undefined => d.objects.find((o) => o.kind === kind && o.name === name)

  beforeAll(async () => {
    local = createLocalHome()
    const created = await createWithExternalSecrets(local, ['env', 'create', 's1', '--tier', 'staging', '--provider', 'local'], {timeoutMs: 240_000})
    expect(created.exitCode, created.stderr).toBe(0)
    kubeconfig = join(local.home, 'kubeconfig', 's1.yaml')
  }, 300_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('a fresh environment shows no drift, also after the HPA scaled a service and while a canary is paused', async () => {
    const fresh = await diff()
    expect(fresh.exitCode, fresh.stderr).toBe(0)
    expect(fresh.diff.drifted).toBe(false)
    expect(fresh.diff.objects).toEqual([])
    expect(fresh.diff.compared).toBeGreaterThan(100)

    // What the HPA controller does: a scale-subresource write as kube-controller-manager.
    await kubectl('-n', 'mygate', 'patch', 'deployment', 'notifications', '--subresource=scale', '--type=merge', '-p', '{"spec":{"replicas":3}}', '--field-manager=kube-controller-manager')
    expect(await kubectl('-n', 'mygate', 'get', 'deployment', 'notifications', '-o', 'jsonpath={.spec.replicas}')).toBe('3')
    const scaled = await diff()
    expect(scaled.exitCode, scaled.stderr).toBe(0)
    expect(scaled.diff.notDrift).toContainEqual(expect.objectContaining({kind: 'Deployment', name: 'notifications', field: 'spec.replicas', because: expect.stringContaining('HorizontalPodAutoscaler')}))

    const deploy = await local.cli(['deploy', 'visitors', '--env', 's1', '--version', '9.0.0', '--canary', '--steps', '25,100', '--pause', '1h', '--no-wait', '--timeout', '60s'])
    expect(deploy.exitCode, deploy.stderr).toBe(0)
    expect(await kubectl('-n', 'mygate', 'get', 'deployment', 'visitors-canary', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toMatch(/:9\.0\.0$/)
    const during = await diff()
    expect(during.exitCode, JSON.stringify(during.diff.objects)).toBe(0)
    expect(during.diff.skipped).toContainEqual(expect.objectContaining({kind: 'Deployment', name: 'visitors', reason: expect.stringMatching(/owned by canary rollout visitors-/)}))
    const aborted = await local.cli(['rollout', 'abort', 'visitors', '--env', 's1'])
    expect(aborted.exitCode, aborted.stderr).toBe(0)
  }, 120_000)

  test('each kind of hand change shows up with its path and owner; sync --prune puts them right; history shows it', async () => {
    const before = (await kubectl('-n', 'mygate', 'get', 'secret', 'redis-auth', '-o', 'jsonpath={.data.password}')).trim()
    await kubectl('-n', 'mygate', 'set', 'env', 'deployment/auth', 'FOO=bar')
    await kubectl('-n', 'mygate', 'set', 'image', 'deployment/billing', 'billing=registry.mygate.dev/mygate/billing:6.6.6')
    await kubectl('-n', 'mygate', 'set', 'resources', 'deployment/amenities', '--limits=cpu=900m')
    await kubectl('-n', 'mygate', 'patch', 'deployment', 'gateway', '--type=json', '-p', '[{"op":"remove","path":"/spec/template/spec/containers/0/readinessProbe"}]')
    await kubectl('-n', 'mygate', 'delete', 'networkpolicy', 'allow-dns')
    await kubectl('-n', 'mygate', 'patch', 'role', 'users', '--type=json', '-p', '[{"op":"add","path":"/rules/0/verbs/-","value":"delete"}]')
    const hacked = Buffer.from('hand-set-value').toString('base64')
    await kubectl('-n', 'mygate', 'patch', 'secret', 'redis-auth', '-p', JSON.stringify({data: {password: hacked}}))
    await kubectl('-n', 'mygate', 'create', 'configmap', 'handmade', '--from-literal=a=b')

    // The simulator's SSA, seen by real kubectl: managedFields name kubectl-set, a server-side dry-run changes nothing.
    const managed = JSON.parse(await kubectl('-n', 'mygate', 'get', 'deployment', 'auth', '-o', 'json', '--show-managed-fields')) as {metadata: {managedFields: Array<{manager: string}>}}
    expect(managed.metadata.managedFields.map((m) => m.manager)).toEqual(expect.arrayContaining(['mygate', 'kubectl-set']))
    const probe = JSON.stringify({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'handmade', namespace: 'mygate'}, data: {a: 'dry'}})
    const dry = await runKubectl(['apply', '--server-side', '--dry-run=server', '--force-conflicts', '--field-manager=mygate', '-o', 'json', '-f', '-'], {kubeconfig, input: probe})
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect((JSON.parse(dry.stdout) as {data: Record<string, string>}).data.a).toBe('dry')
    expect(await kubectl('-n', 'mygate', 'get', 'configmap', 'handmade', '-o', 'jsonpath={.data.a}')).toBe('b')

    const drifted = await diff()
    expect(drifted.exitCode, drifted.stderr).toBe(9)
    const d = drifted.diff
    expect(d.drifted).toBe(true)
    expect(object(d, 'Deployment', 'auth')?.fields).toContainEqual(expect.objectContaining({field: 'spec.template.spec.containers[name=auth].env[name=FOO]', change: 'added', owner: 'kubectl-set', live: {name: 'FOO', value: 'bar'}}))
    expect(object(d, 'Deployment', 'billing')?.fields).toContainEqual(
      expect.objectContaining({field: 'spec.template.spec.containers[name=billing].image', change: 'changed', owner: 'kubectl-set', live: 'registry.mygate.dev/mygate/billing:6.6.6'}),
    )
    expect(object(d, 'Deployment', 'amenities')?.fields).toContainEqual(expect.objectContaining({field: 'spec.template.spec.containers[name=amenities].resources.limits.cpu', change: 'changed', owner: 'kubectl-set', live: '900m'}))
    expect(object(d, 'Deployment', 'gateway')?.fields).toContainEqual(expect.objectContaining({field: 'spec.template.spec.containers[name=gateway].readinessProbe', change: 'missing'}))
    expect(object(d, 'NetworkPolicy', 'allow-dns')).toMatchObject({namespace: 'mygate', status: 'missing'})
    expect(object(d, 'Role', 'users')?.fields).toContainEqual(expect.objectContaining({field: 'rules', change: 'changed', owner: 'kubectl-patch'}))
    const secret = object(d, 'Secret', 'redis-auth')
    expect(secret?.fields).toContainEqual(expect.objectContaining({field: 'data.password', change: 'changed', owner: 'kubectl-patch', live: expect.stringMatching(/^sha256:[0-9a-f]{12}$/)}))
    expect(object(d, 'ConfigMap', 'handmade')).toMatchObject({status: 'undeclared', createdBy: 'kubectl-create'})
    expect(d.objects.filter((o) => o.namespace === 'mygate' || o.namespace === 'mygate-data').map((o) => `${o.kind}/${o.name}`).sort()).toEqual(
      ['ConfigMap/handmade', 'Deployment/amenities', 'Deployment/auth', 'Deployment/billing', 'Deployment/gateway', 'NetworkPolicy/allow-dns', 'Role/users', 'Secret/redis-auth'].sort(),
    )
    // Never a value: neither the hand-set one nor the one mygate wrote.
    expect(drifted.stdout).not.toContain(hacked)
    expect(drifted.stdout).not.toContain(before)
    const human = await local.cli(['env', 'diff', 's1'])
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toContain('~ spec.template.spec.containers[name=billing].image: "registry.mygate.dev/mygate/billing:6.6.6" -> ')
    expect(human.stdout).toMatch(/Result: DRIFT — 8 objects differ/)
    expect(human.stdout).not.toContain(hacked)

    // drift.ignore in mygate.yaml takes a difference out.
    const config = join(local.home, 'mygate.yaml')
    writeFileSync(config, ['apiVersion: mygate.dev/v1', 'kind: Project', 'registry: registry.mygate.dev', 'environments:', '  s1:', '    tier: staging', '    regions: {primary: local-1}', '    drift:', '      ignore:', '        - kind: Deployment', '          name: auth', '          paths: ["spec.template.spec.containers[name=*].env"]', ''].join('\n'))
    const ignored = await diff('--config', config)
    expect(object(ignored.diff, 'Deployment', 'auth')).toBeUndefined()
    expect(ignored.diff.notDrift).toContainEqual(expect.objectContaining({name: 'auth', field: 'spec.template.spec.containers[name=auth].env[name=FOO]', because: expect.stringContaining('drift.ignore')}))

    // A live deploy lease refuses the sync (exit 6), nothing changed.
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {name: 'mygate-deploy-reports', namespace: 'mygate-system', labels: {'mygate.dev/rollout-service': 'reports'}},
      // MicroTime: microseconds, as a real Lease holds them.
      spec: {holderIdentity: 'ci@runner-7 (pid 1)', acquireTime: new Date().toISOString().replace('Z', '000Z'), renewTime: new Date().toISOString().replace('Z', '000Z'), leaseDurationSeconds: 300},
    }
    await runKubectl(['apply', '-f', '-'], {kubeconfig, input: JSON.stringify(lease)}).then((r) => expect(r.exitCode, r.stderr).toBe(0))
    const locked = await local.cli(['env', 'sync', 's1', '--prune', '--yes'])
    expect(locked.exitCode, locked.stderr).toBe(6)
    expect(expectOneLineError(locked)).toMatch(/refusing an env sync of the environment in s1: a deploy of reports is running, held by ci@runner-7 \(pid 1\)/)
    await kubectl('-n', 'mygate-system', 'delete', 'lease', 'mygate-deploy-reports')
    expect(await kubectl('-n', 'mygate', 'get', 'configmap', 'handmade', '-o', 'name')).toContain('handmade')

    const unconfirmed = await local.cli(['env', 'sync', 's1', '--prune'])
    expect(unconfirmed.exitCode).toBe(2)
    expect(expectOneLineError(unconfirmed)).toMatch(/syncing and pruning environment s1 needs confirmation, and there is no terminal to ask in/)

    const synced = await local.cli(['env', 'sync', 's1', '--prune', '--yes', '--json'])
    expect(synced.exitCode, synced.stderr).toBe(0)
    const clean = await diff()
    expect(clean.exitCode, JSON.stringify(clean.diff.objects)).toBe(0)
    expect(await kubectl('-n', 'mygate', 'get', 'deployment', 'billing', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).not.toContain('6.6.6')
    expect(await kubectl('-n', 'mygate', 'get', 'deployment', 'auth', '-o', 'jsonpath={.spec.template.spec.containers[0].env[*].name}')).not.toContain('FOO')
    expect(await kubectl('-n', 'mygate', 'get', 'networkpolicy', 'allow-dns', '-o', 'name')).toContain('allow-dns')
    expect((await kubectl('-n', 'mygate', 'get', 'secret', 'redis-auth', '-o', 'jsonpath={.data.password}')).trim()).toBe(before)
    expect((await runKubectl(['-n', 'mygate', 'get', 'configmap', 'handmade'], {kubeconfig})).exitCode).not.toBe(0)

    const history = parseEnvelope<{result: EnvironmentHistory}>((await local.cli(['env', 'history', 's1', '--json'])).stdout).result
    const entry = history.entries.at(-1)
    expect(entry).toMatchObject({operation: 'sync', outcome: 'succeeded'})
    expect(entry?.changes).toContainEqual({region: 'local-1', kind: 'ConfigMap', namespace: 'mygate', name: 'handmade', action: 'deleted'})
    expect(entry?.changes).toContainEqual({region: 'local-1', kind: 'NetworkPolicy', namespace: 'mygate', name: 'allow-dns', action: 'created'})
    expect(entry?.changes).toContainEqual(expect.objectContaining({kind: 'Secret', name: 'redis-auth', action: 'applied', fields: ['data.password']}))
    // About twenty CLI and kubectl runs in a row: longer than the default on a shared, busy machine.
  }, 240_000)

  test('backup CronJobs: a schedule changed with `backup schedule --set` is not drift; a CronJob suspended by hand is, and sync resumes it', async () => {
    const set = await local.cli(['backup', 'schedule', '--env', 's1', '--service', 'visitors', '--set', '15 */4 * * *'])
    expect(set.exitCode, set.stderr).toBe(0)
    expect(await kubectl('-n', 'mygate-data', 'get', 'cronjob', 'visitors-db-backup', '-o', 'jsonpath={.spec.schedule}')).toBe('15 */4 * * *')
    const chosen = await diff('--service', 'visitors')
    expect(chosen.exitCode, JSON.stringify(chosen.diff.objects)).toBe(0)

    await kubectl('-n', 'mygate-data', 'patch', 'cronjob', 'billing-db-oplog-slice', '--type=merge', '-p', '{"spec":{"suspend":true}}')
    const drifted = await diff('--service', 'billing')
    expect(drifted.exitCode, drifted.stderr).toBe(9)
    expect(object(drifted.diff, 'CronJob', 'billing-db-oplog-slice')?.fields).toContainEqual(expect.objectContaining({field: 'spec.suspend', change: 'added', owner: 'kubectl-patch', live: true}))
    const synced = await local.cli(['env', 'sync', 's1', '--service', 'billing', '--yes'])
    expect(synced.exitCode, synced.stderr).toBe(0)
    expect(await kubectl('-n', 'mygate-data', 'get', 'cronjob', 'billing-db-oplog-slice', '-o', 'jsonpath={.spec.suspend}')).not.toBe('true')
    expect(await kubectl('-n', 'mygate-data', 'get', 'cronjob', 'visitors-db-backup', '-o', 'jsonpath={.spec.schedule}')).toBe('15 */4 * * *')
  }, 120_000)

  test.each([
    ['an unknown environment', ['env', 'diff', 'nope'], 3, /environment "nope" not found/],
    ['an unknown service', ['env', 'diff', 's1', '--service', 'nope'], 3, /unknown service "nope"/],
    ['an unknown region', ['env', 'diff', 's1', '--region', 'mars-1'], 2, /environment s1 has no region "mars-1": expected one of local-1/],
  ])('bad input: %s is one line and a non-zero exit', async (_what, args, exitCode, message) => {
    const result = await local.cli(args)
    expect(result.exitCode).toBe(exitCode)
    expect(expectOneLineError(result)).toMatch(message)
  })

  test('a malformed drift.ignore entry is named with its file and line', async () => {
    const config = join(local.home, 'bad.yaml')
    writeFileSync(config, ['apiVersion: mygate.dev/v1', 'kind: Project', 'registry: registry.mygate.dev', 'environments:', '  s1:', '    tier: staging', '    regions: {primary: local-1}', '    drift:', '      ignore:', '        - kind: Deployment', '          paths: ["spec..replicas"]', ''].join('\n'))
    const result = await local.cli(['env', 'diff', 's1', '--config', config])
    expect(result.exitCode).toBe(2)
    expect(expectOneLineError(result)).toMatch(/bad\.yaml:11: environments\.s1\.drift\.ignore\[0\]\.paths\[0\] must be a field path/)
  })
})
