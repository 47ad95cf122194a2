import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, test} from 'vitest'

import {ConflictError, ExternalError} from '../../../src/errors.js'
import {KubeClient} from '../../../src/kube/client.js'
import {runDaemon, type RunningDaemon} from '../../../src/local-cluster/daemon/daemon.js'
import {daemonStatus, ensureCluster, setApiFaults, setClusterDown} from '../../../src/local-control/control-client.js'
import {localContextName, localPaths} from '../../../src/local-cluster/daemon/paths.js'

const timing = {podStartupMs: 10, readinessDelayMs: 10}

describe('local control plane daemon (in-process)', () => {
  const homes: string[] = []
  const daemons: RunningDaemon[] = []
  const newHome = () => {
    const home = mkdtempSync(join(tmpdir(), 'mygate-daemon-'))
    homes.push(home)
    return home
  }
  const start = async (home: string) => {
    const daemon = await runDaemon({home, timing})
    daemons.push(daemon)
    return daemon
  }
  afterEach(async () => {
    await Promise.all(daemons.splice(0).map((d) => d.stop()))
    for (const home of homes.splice(0)) rmSync(home, {recursive: true, force: true})
  })

  test('hosts one cluster per region, each with its own endpoint and context', async () => {
    const home = newHome()
    await start(home)
    const a = await ensureCluster(home, 'demo-a', 'region-a')
    const b = await ensureCluster(home, 'demo-b', 'region-b')
    expect(a.url).not.toBe(b.url)
    const status = await daemonStatus(home)
    expect(status?.clusters.map((c) => c.name).sort()).toEqual(['demo-a', 'demo-b'])
    const client = await KubeClient.connect({kubeconfigPath: localPaths(home).kubeconfig, context: localContextName('demo-b')})
    const nodes = await client.list('v1', 'Node')
    expect(nodes.items.length).toBeGreaterThan(0)
    expect(nodes.items[0].metadata.labels?.['topology.kubernetes.io/region']).toBe('region-b')
    client.close()
  })

  test('a second daemon on the same state directory is refused with a clear message', async () => {
    const home = newHome()
    await start(home)
    await expect(runDaemon({home, timing})).rejects.toThrow(ConflictError)
    await expect(runDaemon({home, timing})).rejects.toThrow(/already running/)
  })

  test('objects and ports survive a stop and start', async () => {
    const home = newHome()
    const first = await start(home)
    const cluster = await ensureCluster(home, 'keep', 'local-1')
    const client = await KubeClient.connect({kubeconfigPath: localPaths(home).kubeconfig, context: localContextName('keep')})
    await client.apply({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'kept', namespace: 'default'}, data: {a: '1'}})
    client.close()
    await first.stop()
    daemons.splice(daemons.indexOf(first), 1)
    await start(home)
    const status = await daemonStatus(home)
    expect(status?.clusters[0]).toMatchObject({name: 'keep', port: cluster.port})
    const again = await KubeClient.connect({kubeconfigPath: localPaths(home).kubeconfig, context: localContextName('keep')})
    expect((await again.get('v1', 'ConfigMap', 'kept', 'default'))?.data).toEqual({a: '1'})
    again.close()
  })

  test('a region outage makes the cluster unreachable until cleared; API faults fail requests with the injected status', async () => {
    const home = newHome()
    await start(home)
    const cluster = await ensureCluster(home, 'r', 'local-1')
    const client = await KubeClient.connect({kubeconfigPath: localPaths(home).kubeconfig, context: localContextName('r')})
    await client.apply({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'before-outage', namespace: 'default'}, data: {a: '1'}})
    const configMapNames = async () => (await client.list('v1', 'ConfigMap', {namespace: 'default'})).items.map((item) => item.metadata.name)
    const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error)

    await setClusterDown(home, 'r', true)
    const unreachable = await failure(client.list('v1', 'ConfigMap', {namespace: 'default'}))
    expect(unreachable).toBeInstanceOf(ExternalError)
    expect((unreachable as ExternalError).message).toContain(`cannot reach the Kubernetes API at http://127.0.0.1:${cluster.port}`)

    await setClusterDown(home, 'r', false)
    expect(await configMapNames()).toContain('before-outage')

    await setApiFaults(home, 'r', {errorRate: 1, statuses: [503], latencyMs: 0})
    const faulted = await failure(client.list('v1', 'ConfigMap', {namespace: 'default'}))
    expect(faulted).toBeInstanceOf(ExternalError)
    expect((faulted as ExternalError).message).toContain('the server is currently unable to handle the request (injected fault)')
    expect((faulted as ExternalError).details).toMatchObject({httpStatus: 503, reason: 'ServiceUnavailable'})

    await setApiFaults(home, 'r', undefined)
    expect(await configMapNames()).toContain('before-outage')
    client.close()
  })
})
