import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {startApiServer} from '../../src/local-cluster/api-server/index.js'
import {startControllers} from '../../src/local-cluster/controllers/index.js'
import type {ControllerTiming} from '../../src/local-cluster/controllers/index.js'
import {createObjectStore} from '../../src/local-cluster/store/index.js'
import {runKubectl, writeKubeconfig} from './kubectl.js'

/**
 * One local cluster (store, controllers, API server) on a free 127.0.0.1 port with a kubeconfig for
 * real kubectl: what integration tests that check the simulator "as kubectl sees it" start with.
 */
export interface KubectlCluster {
  kubeconfig: string
  /** kubectl against this cluster; resolves with its exit code and output. */
  kubectl(args: string[], input?: string): ReturnType<typeof runKubectl>
  /** kubectl that must succeed: stdout and stderr, or an error carrying both. */
  ok(args: string[], input?: string): Promise<{stdout: string; stderr: string}>
  close(): Promise<void>
}

export async function startKubectlCluster(name: string, timing: Partial<ControllerTiming>): Promise<KubectlCluster> {
  const dir = mkdtempSync(join(tmpdir(), `mygate-${name}-`))
  const store = createObjectStore()
  const controllers = startControllers({store, clusterName: name, region: 'local-1', timing})
  const server = await startApiServer({store})
  const kubeconfig = writeKubeconfig(server.url, dir)
  const kubectl = (args: string[], input?: string) => runKubectl(args, {kubeconfig, input})
  return {
    kubeconfig,
    kubectl,
    async ok(args, input) {
      const result = await kubectl(args, input)
      if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}\n${result.stdout}`)
      return result
    },
    async close() {
      await server.close()
      await controllers.stop()
      await store.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** Polls an async read until `done` accepts it (kubectl calls take a while; no fixed sleeps). */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
