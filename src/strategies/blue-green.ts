import {LABEL_NAME, LABEL_VERSION, TRACK_STABLE} from '../render/labels.js'
import type {Color, RolloutState} from '../rollout/state.js'
import type {KubeObject} from '../kube/types.js'
import {unexpected, type DriverContext, type StrategyDriver} from './strategy-driver.js'
import {APP_NAMESPACE, colorDeploymentName, LABEL_COLOR, previewServiceName} from '../rollout/names.js'
import type {KubeApi} from '../kube/api.js'
import {
  derivedDeployment,
  describeNotReady,
  getDeployment,
  requireDeployment,
  scaleDeployment,
  scaleDownIfExists,
  waitDeploymentReady,
} from './workloads.js'

/**
 * Blue-green: Deployments SERVICE-blue and SERVICE-green (pod labels track=stable and
 * mygate.dev/color), the active Service SERVICE selecting {name, color}, and a preview Service
 * SERVICE-preview selecting the new colour.
 *
 * Adoption (the first blue-green deploy of a service): the rendered Deployment SERVICE has no
 * colour. Its pod template is copied into the old colour (blue) with the running image, and once
 * both colours are ready the active Service's selector gains `color: blue`, an atomic move onto
 * identical pods of the same version. From then on every switch is the same one-field merge
 * patch. The rendered Deployment SERVICE is scaled to 0 with the old colour after the switch (the
 * Service no longer selects it); later blue-green deploys reuse the colour Deployments. A service
 * deployed blue-green stays blue-green: canary and rolling refuse it (see deploy.ts).
 *
 * The old colour keeps running for the plan's scale-down delay, so `rollout undo` during it is a
 * selector switch back; after it, undo scales the old colour (which still has the old image) up
 * again, waits, then switches.
 */

interface ServiceShape extends KubeObject {
  spec: {selector?: Record<string, string>; ports?: unknown[]; type?: string}
}

export async function activeColor(client: KubeApi, service: string): Promise<Color | undefined> {
  const active = await client.get<ServiceShape>('v1', 'Service', service, APP_NAMESPACE)
  const color = active?.spec.selector?.[LABEL_COLOR]
  return color === 'blue' || color === 'green' ? color : undefined
}

async function switchSelector(client: KubeApi, service: string, color: Color): Promise<void> {
  // One merge patch of one key: the Service's endpoints move from one colour to the other at once.
  await client.mergePatch({apiVersion: 'v1', kind: 'Service', name: service, namespace: APP_NAMESPACE}, {spec: {selector: {[LABEL_COLOR]: color}}})
}

export function blueGreenDriver(context: DriverContext, service: string): StrategyDriver {
  const {client, io, report} = context
  const colors = (state: RolloutState) => state.colors as {from: Color; to: Color}

  const applyPreviewService = async (color: Color) => {
    const active = await client.get<ServiceShape>('v1', 'Service', service, APP_NAMESPACE)
    await client.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {name: previewServiceName(service), namespace: APP_NAMESPACE, labels: {...active?.metadata.labels, [LABEL_NAME]: service}},
      spec: {type: 'ClusterIP', selector: {[LABEL_NAME]: service, [LABEL_COLOR]: color}, ports: active?.spec.ports ?? []},
    })
  }

  return {
    newPodsSelector: (state) => `${LABEL_NAME}=${service},${LABEL_COLOR}=${colors(state).to},${LABEL_VERSION}=${state.toVersion}`,

    async perform(action, state) {
      switch (action.kind) {
        case 'deployPreview': {
          const {from, to} = colors(state)
          const base = await requireDeployment(client, service, state.environment)
          const adopting = (await activeColor(client, service)) === undefined
          const colorObject = (color: Color, image: string, version: string) =>
            derivedDeployment(base, {name: colorDeploymentName(service, color), track: TRACK_STABLE, image, version, replicas: io.totalReplicas, extraLabels: {[LABEL_COLOR]: color}})
          const waits: Array<Promise<Awaited<ReturnType<typeof waitDeploymentReady>>>> = []
          if (adopting) {
            if (state.fromImage === undefined || state.fromVersion === undefined) return {type: 'failed', reason: `${service} has no running version to adopt as ${from}`}
            await client.apply(colorObject(from, state.fromImage, state.fromVersion))
            report(`adopting ${service} ${state.fromVersion} as ${from} (${colorDeploymentName(service, from)})`)
            waits.push(waitDeploymentReady(client, colorDeploymentName(service, from), io.readyTimeoutMs))
          }
          await client.apply(colorObject(to, state.image, state.toVersion))
          await applyPreviewService(to)
          waits.push(waitDeploymentReady(client, colorDeploymentName(service, to), io.readyTimeoutMs))
          const results = await Promise.all(waits)
          const bad = results.find((r) => r.verdict !== 'succeeded')
          if (bad !== undefined) return {type: 'podsUnhealthy', pods: [{name: bad.ref.name, reason: describeNotReady(bad)}]}
          if (adopting) await switchSelector(client, service, from)
          report(`preview: ${previewServiceName(service)} -> ${to} (${state.toVersion}), ${io.totalReplicas} replicas ready; active stays ${from}`)
          return {type: 'stepCompleted'}
        }
        case 'switchActive': {
          await switchSelector(client, service, action.to)
          report(`switched: Service ${service} now selects ${action.to} (${state.toVersion})`)
          return {type: 'stepCompleted'}
        }
        case 'scaleDownOld': {
          await scaleDeployment(client, colorDeploymentName(service, action.color), 0)
          // The rendered Deployment served before adoption; the Service no longer selects it.
          const rendered = await getDeployment(client, service)
          if ((rendered?.spec.replicas ?? 0) > 0) await scaleDeployment(client, service, 0)
          report(`scaled down ${colorDeploymentName(service, action.color)}`)
          return {type: 'stepCompleted'}
        }
        case 'rollback': {
          const {from, to} = colors(state)
          if (action.restore === 'previousVersion') {
            // The old colour was scaled down but still holds the old image: bring it back first.
            await scaleDeployment(client, colorDeploymentName(service, from), io.totalReplicas)
            const ready = await waitDeploymentReady(client, colorDeploymentName(service, from), io.readyTimeoutMs)
            if (ready.verdict !== 'succeeded') return {type: 'failed', reason: `${from} did not become ready again: ${describeNotReady(ready)}`}
          }
          if ((await activeColor(client, service)) !== undefined) await switchSelector(client, service, from)
          await scaleDownIfExists(client, colorDeploymentName(service, to))
          report(`switched back: Service ${service} selects ${from} (${state.fromVersion ?? ''}); ${to} scaled to 0`)
          return {type: 'rollbackCompleted'}
        }
        default:
          throw unexpected('blue-green', action)
      }
    },
  }
}
