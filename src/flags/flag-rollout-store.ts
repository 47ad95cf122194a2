import {ConflictError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import {ROLLOUT_NAMESPACE} from '../rollout/names.js'
import type {FlagRolloutState} from './flag-rollout-machine.js'

/**
 * A flag rollout's record: ConfigMap mygate-system/mygate-flag-rollout-FLAG, key `state.json`, in
 * the environment's active region (its driver's cluster). Writes replace with the resourceVersion
 * last read, so a driver and a `flags rollout abort` from another machine never overwrite each
 * other: the loser re-reads and re-applies its change (updateFlagRollout).
 */

const KEY = 'state.json'
export const flagRolloutConfigMapName = (flag: string): string => `mygate-flag-rollout-${flag}`

export interface StoredFlagRollout {
  state: FlagRolloutState
  resourceVersion: string
}

export async function readFlagRollout(client: KubeApi, flag: string): Promise<StoredFlagRollout | undefined> {
  const object = await client.get('v1', 'ConfigMap', flagRolloutConfigMapName(flag), ROLLOUT_NAMESPACE)
  const text = (object?.data as Record<string, string> | undefined)?.[KEY]
  if (!object || !text) return undefined
  return {state: JSON.parse(text) as FlagRolloutState, resourceVersion: String(object.metadata.resourceVersion)}
}

function toConfigMap(state: FlagRolloutState, resourceVersion?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: flagRolloutConfigMapName(state.flag),
      namespace: ROLLOUT_NAMESPACE,
      labels: {'app.kubernetes.io/managed-by': MANAGED_BY, 'mygate.dev/flag': state.flag, 'mygate.dev/environment': state.environment},
      ...(resourceVersion === undefined ? {} : {resourceVersion}),
    },
    data: {[KEY]: JSON.stringify(state)},
  }
}

/** Writes a new rollout's state over any finished one (resourceVersion guards a racing start). */
export async function createFlagRollout(client: KubeApi, state: FlagRolloutState, previous?: StoredFlagRollout): Promise<StoredFlagRollout> {
  const written = previous ? await client.replace(toConfigMap(state, previous.resourceVersion)) : await client.create(toConfigMap(state))
  return {state, resourceVersion: String(written.metadata.resourceVersion)}
}

/** Applies `change` to the stored state and writes it, re-reading on a conflict. */
export async function updateFlagRollout(
  client: KubeApi,
  flag: string,
  change: (state: FlagRolloutState) => FlagRolloutState,
  attempts = 5,
): Promise<StoredFlagRollout | undefined> {
  for (let attempt = 1; ; attempt++) {
    const stored = await readFlagRollout(client, flag)
    if (!stored) return undefined
    const state = change(stored.state)
    try {
      const written = await client.replace(toConfigMap(state, stored.resourceVersion))
      return {state, resourceVersion: String(written.metadata.resourceVersion)}
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error
    }
  }
}
