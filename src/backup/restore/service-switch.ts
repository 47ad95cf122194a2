import {NAMESPACES} from '../../config/types.js'
import {OperationFailedError, TimeoutError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'
import type {KubeObject} from '../../kube/types.js'
import {waitForWorkloads} from '../../kube/wait.js'
import {retargetUri} from './connection-switch.js'
import type {StoppedDeployment} from './restore-run.js'

/**
 * The I/O of switching a service between replica sets, every region the service runs in. Each
 * function reads what it changes first, so running it again after a kill finishes the work:
 *
 * - stopServiceWrites: the service's Deployments (stable, canary, blue/green: every Deployment
 *   whose selector names the service) scaled to 0 through the scale subresource, their replicas
 *   recorded first; then it waits until no pod of the service runs. A HorizontalPodAutoscaler
 *   leaves a Deployment at 0 alone ("scaling is disabled" when the target's replicas are 0:
 *   https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#implicit-maintenance-mode-deactivation).
 * - switchConnection: the connection Secret's `uri` (the key the app reads as MONGODB_URI) names
 *   the target set's members, name and credentials. Environment variables from a Secret are read
 *   when a container starts, so this takes effect only with new pods: after stopServiceWrites.
 * - restartService: the Deployments back at their recorded replicas (new pods, new Secret value),
 *   then waits until they are ready.
 */

const SERVICE_LABEL = 'app.kubernetes.io/name'

export interface ServiceRegions {
  /** Region -> client, every region the service runs in. */
  clients: ReadonlyMap<string, KubeApi>
  service: string
}

async function serviceDeployments(client: KubeApi, service: string): Promise<KubeObject[]> {
  const list = await client.list('apps/v1', 'Deployment', {namespace: NAMESPACES.apps})
  return list.items.filter((d) => (d.spec as {selector?: {matchLabels?: Record<string, string>}} | undefined)?.selector?.matchLabels?.[SERVICE_LABEL] === service)
}

/**
 * Scales the service to 0 everywhere. The replicas are read and handed to `record` (which stores
 * them) before anything is scaled, so a kill in between never loses the real counts; an earlier
 * record wins over a Deployment found at 0 by a re-run.
 */
export async function stopServiceWrites(input: ServiceRegions & {recorded?: StoppedDeployment[]; record: (stopped: StoppedDeployment[]) => Promise<void>; timeoutMs?: number; onProgress?: (message: string) => void}): Promise<StoppedDeployment[]> {
  const stopped: StoppedDeployment[] = [...(input.recorded ?? [])]
  for (const [region, client] of [...input.clients].sort(([a], [b]) => a.localeCompare(b))) {
    for (const deployment of await serviceDeployments(client, input.service)) {
      const name = String(deployment.metadata.name)
      if (!stopped.some((s) => s.region === region && s.name === name)) stopped.push({region, name, replicas: Number((deployment.spec as {replicas?: number}).replicas ?? 1)})
    }
  }
  await input.record(stopped)
  for (const entry of stopped) {
    const client = input.clients.get(entry.region)
    if (!client) continue
    await client.mergePatch({apiVersion: 'apps/v1', kind: 'Deployment', name: entry.name, namespace: NAMESPACES.apps}, {spec: {replicas: 0}}, 'scale')
    input.onProgress?.(`${entry.region}: deployment/${entry.name} ${entry.replicas} -> 0`)
  }
  await waitNoPods(input, input.timeoutMs ?? 120_000)
  return stopped
}

async function waitNoPods(input: ServiceRegions, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let running = 0
    for (const client of input.clients.values()) {
      running += (await client.list('v1', 'Pod', {namespace: NAMESPACES.apps, labelSelector: `${SERVICE_LABEL}=${input.service}`})).items.length
    }
    if (running === 0) return
    if (Date.now() > deadline) {
      throw new TimeoutError(`${running} pod(s) of ${input.service} still run ${Math.round(timeoutMs / 1000)}s after scaling to 0`, {hint: `check \`kubectl get pods -n ${NAMESPACES.apps} -l ${SERVICE_LABEL}=${input.service}\`, then re-run the restore`})
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** Scales the service back to its recorded replicas and waits until every Deployment is ready. */
export async function restartService(input: ServiceRegions & {stopped: StoppedDeployment[]; timeoutMs?: number; onProgress?: (message: string) => void}): Promise<string> {
  for (const entry of input.stopped) {
    const client = input.clients.get(entry.region)
    if (!client) throw new OperationFailedError(`region ${entry.region} has no client to restart ${entry.name} in`)
    await client.mergePatch({apiVersion: 'apps/v1', kind: 'Deployment', name: entry.name, namespace: NAMESPACES.apps}, {spec: {replicas: entry.replicas}}, 'scale')
    input.onProgress?.(`${entry.region}: deployment/${entry.name} 0 -> ${entry.replicas}`)
  }
  for (const [region, client] of input.clients) {
    const refs = input.stopped.filter((s) => s.region === region).map((s) => ({apiVersion: 'apps/v1', kind: 'Deployment', namespace: NAMESPACES.apps, name: s.name}))
    const results = await waitForWorkloads(client, refs, {timeoutMs: input.timeoutMs ?? 300_000})
    const bad = results.filter((r) => r.verdict !== 'succeeded')
    if (bad.length > 0) {
      const message = `${input.service} is not ready in ${region}: ${bad.map((r) => `${r.ref.name} ${r.verdict} (${r.message})`).join(', ')}`
      const hint = 'fix the cause and re-run the restore (it resumes here), or --undo once it finished'
      throw bad.every((r) => r.verdict === 'timed out') ? new TimeoutError(message, {hint}) : new OperationFailedError(message, {hint})
    }
  }
  return `${input.stopped.map((s) => `${s.region}/${s.name}=${s.replicas}`).join(', ') || 'no deployments'} ready`
}

export interface ConnectionTarget {
  set: string
  hosts: readonly string[]
  username: string
  password: string
}

/** Where a service reads its connection string: Secret NAME key KEY in the apps namespace. */
export interface ConnectionSecretRef {
  name: string
  key: string
}

/**
 * Points the service's connection Secret at `target` in every region. The value goes from one
 * Secret (the set's credentials) to another inside the cluster API and is never printed.
 */
export async function switchConnection(input: ServiceRegions & {secret: ConnectionSecretRef; target: ConnectionTarget}): Promise<string[]> {
  const changed: string[] = []
  for (const [region, client] of [...input.clients].sort(([a], [b]) => a.localeCompare(b))) {
    const secret = await client.get<KubeObject & {data?: Record<string, string>}>('v1', 'Secret', input.secret.name, NAMESPACES.apps)
    const encoded = secret?.data?.[input.secret.key]
    const what = `Secret ${NAMESPACES.apps}/${input.secret.name} key ${input.secret.key} in ${region}`
    if (!secret || !encoded) throw new OperationFailedError(`${what} does not exist`, {hint: '`mygate secrets sync --env ENV` recreates it, then re-run the restore'})
    const uri = retargetUri(Buffer.from(encoded, 'base64').toString('utf8'), input.target, what)
    if (uri === Buffer.from(encoded, 'base64').toString('utf8')) continue
    await client.mergePatch({apiVersion: 'v1', kind: 'Secret', name: input.secret.name, namespace: NAMESPACES.apps}, {data: {[input.secret.key]: Buffer.from(uri).toString('base64')}})
    changed.push(region)
  }
  return changed
}

/** The root credentials of a set, from its `<set>-credentials` Secret in mygate-data (never printed). */
export async function setCredentials(client: KubeApi, secretName: string): Promise<{username: string; password: string}> {
  const secret = await client.get<KubeObject & {data?: Record<string, string>}>('v1', 'Secret', secretName, NAMESPACES.data)
  const value = (k: string) => (secret?.data?.[k] ? Buffer.from(secret.data[k], 'base64').toString('utf8') : undefined)
  const username = value('root-username')
  const password = value('root-password')
  if (!username || !password) throw new OperationFailedError(`Secret ${NAMESPACES.data}/${secretName} has no root-username/root-password`, {hint: 'it is created with the set; re-run the restore (or --abandon it)'})
  return {username, password}
}
