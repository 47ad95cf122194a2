import type {KubeObject} from '../../../src/kube/types.js'
import {startControllers, type ControllersHandle, type StartControllersOptions} from '../../../src/local-cluster/controllers/index.js'
import {createObjectStore} from '../../../src/local-cluster/store/index.js'
import type {ObjectStore, ResourceRef} from '../../../src/local-cluster/store/types.js'

/** A real in-memory store with the controllers running on it, for integration tests. */
export interface Harness {
  store: ObjectStore
  controllers: ControllersHandle
  stop(): Promise<void>
}

export function startHarness(options: Partial<StartControllersOptions> = {}): Harness {
  const store = createObjectStore()
  const controllers = startControllers({store, clusterName: 'test', region: 'local-1', timing: {podStartupMs: 0, readinessDelayMs: 0, jobRunMs: 20}, ...options})
  return {store, controllers, stop: () => controllers.stop()}
}

export function ensureNamespace(store: ObjectStore, name: string): void {
  if (!store.get({group: '', resource: 'namespaces'}, undefined, name)) {
    store.create({group: '', resource: 'namespaces'}, {apiVersion: 'v1', kind: 'Namespace', metadata: {name}})
  }
}

export function testDeployment(overrides: {name?: string; namespace?: string; replicas?: number; version?: string; strategy?: unknown; minReadySeconds?: number; progressDeadlineSeconds?: number} = {}): KubeObject {
  const name = overrides.name ?? 'visitors'
  const version = overrides.version ?? '1.0.0'
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name, namespace: overrides.namespace ?? 'mygate', labels: {'app.kubernetes.io/name': name}},
    spec: {
      replicas: overrides.replicas ?? 3,
      selector: {matchLabels: {'app.kubernetes.io/name': name}},
      ...(overrides.strategy ? {strategy: overrides.strategy} : {}),
      ...(overrides.minReadySeconds !== undefined ? {minReadySeconds: overrides.minReadySeconds} : {}),
      ...(overrides.progressDeadlineSeconds !== undefined ? {progressDeadlineSeconds: overrides.progressDeadlineSeconds} : {}),
      template: {
        metadata: {labels: {'app.kubernetes.io/name': name, 'app.kubernetes.io/version': version, 'mygate.dev/track': 'stable'}},
        spec: {containers: [{name: 'app', image: `registry.mygate.dev/${name}:${version}`, ports: [{containerPort: 8080, name: 'http'}]}]},
      },
    },
  }
}

/** Polls (on the event loop, no sleeping in big steps) until `check` returns a value or time runs out. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

export const conditionOf = (object: KubeObject | undefined, type: string): {status?: string; reason?: string} | undefined =>
  ((object?.status as {conditions?: Array<{type: string; status?: string; reason?: string}>} | undefined)?.conditions ?? []).find((c) => c.type === type)

export function list(store: ObjectStore, ref: ResourceRef, namespace?: string): KubeObject[] {
  return store.list(ref, {namespace}).items
}
