import {NotFoundError} from '../errors.js'
import {waitForWorkloads, type WorkloadResult} from '../kube/wait.js'
import type {KubeObject} from '../kube/types.js'
import {LABEL_NAME, LABEL_TRACK, LABEL_VERSION} from '../render/labels.js'
import type {KubeApi} from '../kube/api.js'
import {APP_NAMESPACE} from '../rollout/names.js'

/**
 * Small, single-purpose operations on the Deployments a rollout moves. Each is one API request
 * (reads aside), so a step's request count stays small.
 */

export interface DeploymentShape extends KubeObject {
  spec: {
    replicas?: number
    selector: {matchLabels: Record<string, string>}
    template: {metadata: {labels?: Record<string, string>; annotations?: Record<string, string>}; spec: {containers: Array<{name: string; image: string}>} & Record<string, unknown>}
  } & Record<string, unknown>
  status?: {replicas?: number; readyReplicas?: number; availableReplicas?: number; updatedReplicas?: number}
}

export async function getDeployment(client: KubeApi, name: string, namespace: string = APP_NAMESPACE): Promise<DeploymentShape | undefined> {
  return client.get<DeploymentShape>('apps/v1', 'Deployment', name, namespace)
}

export async function requireDeployment(client: KubeApi, name: string, environment: string, namespace: string = APP_NAMESPACE): Promise<DeploymentShape> {
  const deployment = await getDeployment(client, name, namespace)
  if (deployment === undefined) {
    throw new NotFoundError(`Deployment ${namespace}/${name} does not exist in ${environment}`, {
      hint: `the service is not running there: create the environment with \`mygate env create ${environment}\``,
    })
  }
  return deployment
}

/** The image and version a Deployment runs (first container; the version label). */
export function runningVersion(deployment: DeploymentShape): {image: string; version: string | undefined} {
  const image = deployment.spec.template.spec.containers[0]?.image ?? ''
  const version = deployment.spec.template.metadata.labels?.[LABEL_VERSION] ?? deployment.metadata.labels?.[LABEL_VERSION]
  return {image, version}
}

/**
 * Points a Deployment at a new image and version label: a strategic merge patch keyed on the
 * container name, so nothing else in the pod template changes (a JSON merge patch would replace
 * the whole containers list). Changing the template starts the Deployment's rolling update.
 */
export async function setDeploymentImage(
  client: KubeApi,
  deployment: Pick<DeploymentShape, 'metadata' | 'spec'>,
  image: string,
  version: string,
  replicas?: number,
): Promise<void> {
  const name = String(deployment.metadata.name)
  const namespace = String(deployment.metadata.namespace ?? APP_NAMESPACE)
  const container = deployment.spec.template.spec.containers[0]?.name ?? name
  await client.strategicMergePatch(
    {apiVersion: 'apps/v1', kind: 'Deployment', namespace, name},
    {
      metadata: {labels: {[LABEL_VERSION]: version}},
      spec: {
        ...(replicas === undefined ? {} : {replicas}),
        template: {metadata: {labels: {[LABEL_VERSION]: version}}, spec: {containers: [{name: container, image}]}},
      },
    },
    `update the image of Deployment ${namespace}/${name}`,
  )
}

export async function scaleDeployment(client: KubeApi, name: string, replicas: number, namespace: string = APP_NAMESPACE): Promise<void> {
  await client.mergePatch({apiVersion: 'apps/v1', kind: 'Deployment', name, namespace}, {spec: {replicas}})
}

/** Scaling to 0 something that was never created is already done (a rollback before the first step). */
export async function scaleDownIfExists(client: KubeApi, name: string, namespace: string = APP_NAMESPACE): Promise<void> {
  try {
    await scaleDeployment(client, name, 0, namespace)
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error
  }
}

/**
 * A copy of `base` (the rendered stable Deployment) under another name and track: same pod spec,
 * the new image, pod labels {name, track, version} plus `extraLabels`. Applied with server-side
 * apply, so re-creating it for the next rollout converges the same object.
 */
export function derivedDeployment(
  base: DeploymentShape,
  options: {name: string; track: string; image: string; version: string; replicas: number; extraLabels?: Record<string, string>},
): KubeObject {
  const service = base.spec.selector.matchLabels[LABEL_NAME] ?? String(base.metadata.name)
  const selector = {[LABEL_NAME]: service, [LABEL_TRACK]: options.track, ...options.extraLabels}
  const podLabels = {...base.spec.template.metadata.labels, ...selector, [LABEL_VERSION]: options.version}
  const containers = base.spec.template.spec.containers.map((container, index) => (index === 0 ? {...container, image: options.image} : container))
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: options.name,
      namespace: base.metadata.namespace ?? APP_NAMESPACE,
      labels: {...base.metadata.labels, [LABEL_TRACK]: options.track, ...options.extraLabels, [LABEL_VERSION]: options.version},
      annotations: {'mygate.dev/derived-from': String(base.metadata.name)},
    },
    spec: {
      ...stripStatusFields(base.spec),
      replicas: options.replicas,
      selector: {matchLabels: selector},
      template: {metadata: {...base.spec.template.metadata, labels: podLabels}, spec: {...base.spec.template.spec, containers}},
    },
  }
}

function stripStatusFields(spec: DeploymentShape['spec']): Record<string, unknown> {
  const {paused: _paused, ...rest} = spec as Record<string, unknown>
  return rest
}

/** Waits (by watch) until the Deployment is fully rolled out and available, failed, or out of time. */
export async function waitDeploymentReady(client: KubeApi, name: string, timeoutMs: number, namespace: string = APP_NAMESPACE): Promise<WorkloadResult> {
  const [result] = await waitForWorkloads(client, [{apiVersion: 'apps/v1', kind: 'Deployment', namespace, name}], {timeoutMs})
  return result
}

/** "visitors-canary: pod visitors-canary-x: CrashLoopBackOff (...)" style reason for a failed wait. */
export function describeNotReady(result: WorkloadResult): string {
  const pods = result.pods.filter((p) => p.fatal).slice(0, 3)
  const detail = pods.length > 0 ? pods.map((p) => `${p.pod}: ${p.reason}`).join(', ') : result.message
  return result.verdict === 'timed out' ? `${result.ref.name} not ready after ${Math.round(result.elapsedMs / 1000)}s (${detail})` : `${result.ref.name} failed (${detail})`
}
