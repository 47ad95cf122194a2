import type {KubeApi, WatchHandle} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import {APP_NAMESPACE} from '../rollout/names.js'
import {watchRollout, type StoredRollout} from './rollout-store.js'

/**
 * What a running rollout watches: its record (steering from other machines) and the new
 * version's pods (a crash loop rolls back at once). The executor takes it as an option so tests
 * can drive it; `clusterWatchSource` is the real one, two watch streams on the API server.
 */
export interface RolloutWatchSource {
  /** Every version of the record after `fromResourceVersion`; undefined when it was deleted. */
  watchRecord(service: string, fromResourceVersion: string, onChange: (stored: StoredRollout | undefined) => void): Promise<WatchHandle>
  /** Pods in the app namespace matching `labelSelector`, as they are added or change. */
  watchPods(labelSelector: string, onPod: (pod: KubeObject) => void): Promise<WatchHandle>
}

export function clusterWatchSource(client: KubeApi): RolloutWatchSource {
  return {
    watchRecord: (service, fromResourceVersion, onChange) => watchRollout(client, service, fromResourceVersion, onChange),
    async watchPods(labelSelector, onPod) {
      const path = await client.pathFor({apiVersion: 'v1', kind: 'Pod', namespace: APP_NAMESPACE})
      const handle = client.watch(path, {labelSelector}, (event) => {
        if (event.type === 'ADDED' || event.type === 'MODIFIED') onPod(event.object)
      })
      handle.done.catch(() => undefined)
      return handle
    },
  }
}
