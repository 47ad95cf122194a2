import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * Provider kubeconfig: an environment on a cluster the user already has (here the local control
 * plane's `default` cluster, reached only through a kubeconfig context, as kind or minikube would be).
 */
describe('mygate env on an existing cluster (provider kubeconfig)', () => {
  let local: LocalHome
  let userKubeconfig: string

  beforeAll(async () => {
    local = createLocalHome()
    const started = await local.cli(['local', 'start'])
    expect(started.exitCode, started.stderr).toBe(0)
    userKubeconfig = join(local.home, 'local', 'kubeconfig.yaml')
  })
  afterAll(async () => {
    await local.cleanup()
  })

  test('create deploys every service into the given context; destroy keeps the cluster', async () => {
    const created = await local.cli(['env', 'create', 'ext', '--provider', 'kubeconfig', '--context', 'mygate-local-default', '--json'], {env: {KUBECONFIG: userKubeconfig}})
    expect(created.exitCode, created.stderr).toBe(0)
    const result = parseEnvelope<{result: {services: Array<{verdict: string}>; contexts: Record<string, string>}}>(created.stdout).result
    expect(result.services.length).toBe(18)
    expect(result.services.every((s) => s.verdict === 'succeeded')).toBe(true)
    expect(Object.values(result.contexts)).toEqual(['mygate-local-default'])

    const gateway = await runKubectl(['--context', 'mygate-local-default', 'get', 'deployment', 'gateway', '-n', 'mygate', '-o', 'jsonpath={.status.availableReplicas}'], {kubeconfig: userKubeconfig})
    expect(gateway.stdout).toBe('1')

    const destroyed = await local.cli(['env', 'destroy', 'ext', '--yes'])
    expect(destroyed.exitCode, destroyed.stderr).toBe(0)
    expect(destroyed.stdout).toContain('kept cluster of kubeconfig context mygate-local-default')
    const nodes = await runKubectl(['--context', 'mygate-local-default', 'get', 'nodes', '-o', 'name'], {kubeconfig: userKubeconfig})
    expect(nodes.exitCode, nodes.stderr).toBe(0)
    const namespaces = await runKubectl(['--context', 'mygate-local-default', 'get', 'namespace', 'mygate', '-o', 'name'], {kubeconfig: userKubeconfig})
    expect(namespaces.exitCode).not.toBe(0)
  })
})
