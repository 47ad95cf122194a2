import {dependencyLayers} from '../catalog/dependency-order.js'
import type {Catalog} from '../catalog/types.js'
import {OperationFailedError, TimeoutError} from '../errors.js'
import type {KubeClient} from '../kube/client.js'
import {type FinalVerdict, waitForWorkloads, type WorkloadRef} from '../kube/wait.js'
import {LABEL_NAME, serviceNamespace} from '../render/labels.js'

/**
 * A pod reads a Secret's values into its environment when it starts, so a changed value reaches a
 * service only through new pods. This restarts the services that read changed values the way
 * `kubectl rollout restart` does (the `kubectl.kubernetes.io/restartedAt` annotation on the pod
 * template, so the workload's own rolling update replaces its pods, keeping it available), in
 * dependency order: a layer is restarted and waited for before the services that call it.
 */

/** The annotation kubectl rollout restart sets (kubectl/pkg/polymorphichelpers/objectrestarter.go). */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt'

export interface RestartedService {
  service: string
  region: string
  /** KIND/NAMESPACE/NAME of each workload restarted. */
  workloads: string[]
  verdict: FinalVerdict
  message: string
}

export interface RestartOptions {
  /** How long to wait for one layer of services to be ready again. */
  timeoutMs: number
  now?: () => Date
  onProgress?: (line: string) => void
}

/**
 * Restarts `services` in each region (primary first, as the map is ordered). A service with no
 * workload in a region (an app in a pilot-light region) has nothing to restart there. The first
 * layer that does not come back stops the restart with the services that failed.
 */
export async function restartServices(
  clients: ReadonlyMap<string, KubeClient>,
  catalog: Catalog,
  services: readonly string[],
  options: RestartOptions,
): Promise<RestartedService[]> {
  if (services.length === 0) return []
  const now = options.now ?? (() => new Date())
  const results: RestartedService[] = []
  for (const [region, client] of clients) {
    for (const layer of dependencyLayers(catalog, [...new Set(services)])) {
      const restarted: Array<{service: string; refs: WorkloadRef[]}> = []
      for (const service of layer) {
        const kind = service.kind === 'app' ? 'Deployment' : 'StatefulSet'
        const namespace = serviceNamespace(service)
        // Every workload of the service: a canary or preview copy reads the same Secret.
        const {items} = await client.list('apps/v1', kind, {namespace, labelSelector: `${LABEL_NAME}=${service.name}`})
        const refs: WorkloadRef[] = []
        for (const workload of items) {
          const name = String(workload.metadata.name)
          await client.mergePatch({apiVersion: 'apps/v1', kind, name, namespace}, {spec: {template: {metadata: {annotations: {[RESTARTED_AT]: now().toISOString()}}}}})
          refs.push({apiVersion: 'apps/v1', kind, namespace, name})
        }
        if (refs.length > 0) {
          restarted.push({service: service.name, refs})
          options.onProgress?.(`${region}: restarting ${service.name} (${refs.map((r) => `${r.kind.toLowerCase()}/${r.name}`).join(', ')})`)
        }
      }
      const waited = await waitForWorkloads(client, restarted.flatMap((r) => r.refs), {timeoutMs: options.timeoutMs})
      const layerResults = restarted.map(({service, refs}): RestartedService => {
        const mine = waited.filter((w) => refs.some((r) => r.kind === w.ref.kind && r.name === w.ref.name && r.namespace === w.ref.namespace))
        const bad = mine.find((w) => w.verdict !== 'succeeded')
        return {
          service,
          region,
          workloads: refs.map((r) => `${r.kind}/${r.namespace}/${r.name}`),
          verdict: bad?.verdict ?? 'succeeded',
          message: bad ? `${bad.message}${bad.pods.length > 0 ? `: ${bad.pods.slice(0, 3).map((p) => `${p.pod} ${p.reason}`).join('; ')}` : ''}` : 'restarted',
        }
      })
      results.push(...layerResults)
      for (const r of layerResults) options.onProgress?.(`${region}: ${r.service} ${r.verdict === 'succeeded' ? 'restarted' : `${r.verdict} (${r.message})`}`)
      const failed = layerResults.filter((r) => r.verdict !== 'succeeded')
      if (failed.length > 0) {
        const message = `restart after a secret change did not finish: ${failed.map((r) => `${r.service} in ${r.region} ${r.verdict} (${r.message})`).join(', ')}`
        const hint = 'the new value is stored; fix the cause and restart with `kubectl rollout restart`, or re-run the command'
        const details = {restarted: results}
        throw failed.every((r) => r.verdict === 'timed out') ? new TimeoutError(message, {hint, details}) : new OperationFailedError(message, {hint, details})
      }
    }
  }
  return results
}
