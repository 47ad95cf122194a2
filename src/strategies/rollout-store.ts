import {ConflictError, NotFoundError} from '../errors.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import {decodeState, encodeState} from '../rollout/state-codec.js'
import type {RolloutState} from '../rollout/state.js'
import type {KubeApi, WatchHandle} from '../kube/api.js'
import {writeLanded} from '../kube/write-landed.js'
import {LABEL_ROLLOUT_SERVICE, ROLLOUT_NAMESPACE, stateConfigMapName} from '../rollout/names.js'

/**
 * The rollout record in the cluster: ConfigMap mygate-system/mygate-rollout-SERVICE holding the
 * RolloutState (state-codec) plus the I/O layer's own settings (`io.json`, see RolloutIoSettings),
 * which a resumed rollout must reuse. Every write is a replace with the resourceVersion last read,
 * so two writers (a running deploy and a `rollout abort` from another machine) never overwrite
 * each other: the loser re-reads and re-applies its change.
 */

export const IO_KEY = 'io.json'

/** Settings chosen at deploy time that the state machine does not know about. */
export interface RolloutIoSettings {
  /** Replicas of the service before the rollout: the total the canary split and colours use. */
  totalReplicas: number
  /** Traffic router used (fixed for the rollout, even if the environment's mesh flag changes). */
  router: 'mesh' | 'replicas'
  /** Longest wait for pods to become ready at one step. */
  readyTimeoutMs: number
  /** PromQL window for the analysis (defaults to the analysis interval). */
  analysisWindow?: string
}

export interface StoredRollout {
  state: RolloutState
  io: RolloutIoSettings
  resourceVersion: string
}

function source(service: string): string {
  return `configmap ${ROLLOUT_NAMESPACE}/${stateConfigMapName(service)}`
}

function toConfigMap(state: RolloutState, io: RolloutIoSettings, resourceVersion?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: stateConfigMapName(state.service),
      namespace: ROLLOUT_NAMESPACE,
      labels: {'app.kubernetes.io/managed-by': MANAGED_BY, [LABEL_ROLLOUT_SERVICE]: state.service, 'mygate.dev/environment': state.environment},
      ...(resourceVersion === undefined ? {} : {resourceVersion}),
    },
    data: {...encodeState(state), [IO_KEY]: JSON.stringify(io)},
  }
}

export function fromConfigMap(configMap: KubeObject, service: string): StoredRollout {
  const data = configMap.data as Record<string, string> | undefined
  const state = decodeState(data, source(service))
  let io: RolloutIoSettings
  try {
    io = JSON.parse(data?.[IO_KEY] ?? '') as RolloutIoSettings
  } catch {
    // A record without settings (hand-made, or an older writer): the safe defaults.
    io = {totalReplicas: 1, router: 'replicas', readyTimeoutMs: 300_000}
  }
  return {state, io, resourceVersion: String(configMap.metadata.resourceVersion)}
}

export async function readRollout(client: KubeApi, service: string): Promise<StoredRollout | undefined> {
  const configMap = await client.get('v1', 'ConfigMap', stateConfigMapName(service), ROLLOUT_NAMESPACE)
  return configMap === undefined ? undefined : fromConfigMap(configMap, service)
}

export async function requireRollout(client: KubeApi, service: string, environment: string): Promise<StoredRollout> {
  const stored = await readRollout(client, service)
  if (stored === undefined) {
    throw new NotFoundError(`no rollout of ${service} has been recorded in ${environment}`, {
      hint: `start one with \`mygate deploy ${service} --env ${environment} --version V\``,
    })
  }
  return stored
}

/**
 * Writes a new rollout record, replacing the previous (finished) one. `previous` is the record
 * read beforehand (undefined when there was none). A 409 is settled by reading the record again:
 * still the one we read (a refused write that changed nothing) -> write again; our own rollout
 * (a write that landed though its answer was lost) -> done; anything else -> ConflictError rather
 * than losing someone else's rollout.
 */
export async function writeNewRollout(
  client: KubeApi,
  state: RolloutState,
  io: RolloutIoSettings,
  previous: StoredRollout | undefined,
  attempts = 5,
): Promise<StoredRollout> {
  for (let attempt = 1; ; attempt++) {
    try {
      const written =
        previous === undefined
          ? await client.create(toConfigMap(state, io))
          : await client.replace(toConfigMap(state, io, previous.resourceVersion))
      return {state, io, resourceVersion: String(written.metadata.resourceVersion)}
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error
      const fresh = await readRollout(client, state.service)
      if (fresh !== undefined && fresh.state.id === state.id) return fresh
      const unchanged = fresh?.resourceVersion === previous?.resourceVersion
      if (!unchanged || attempt >= attempts) throw error
    }
  }
}

/**
 * Read-modify-write with optimistic concurrency. `change` gets the freshest stored record and
 * returns the new state, or undefined to write nothing (its event no longer applies, or what it
 * asked for already holds). On 409 the record is read again: when it holds exactly what this call
 * sent, the write landed though its answer was lost (the transport retried a replace our own write
 * had already moved on, kube/write-landed.ts) and is not applied twice; otherwise `change` runs
 * again on the fresh record, up to `attempts` times. Every steering event goes through here, so
 * none of them reports "nothing in progress" for a change it made itself.
 */
export async function updateRollout(
  client: KubeApi,
  current: StoredRollout,
  change: (stored: StoredRollout) => RolloutState | undefined,
  attempts = 5,
): Promise<StoredRollout> {
  const service = current.state.service
  let stored = current
  for (let attempt = 1; ; attempt++) {
    const next = change(stored)
    if (next === undefined || next === stored.state) return stored
    const sent = toConfigMap(next, stored.io, stored.resourceVersion)
    try {
      const written = await client.replace(sent)
      return {state: next, io: stored.io, resourceVersion: String(written.metadata.resourceVersion)}
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error
      const fresh = await client.get('v1', 'ConfigMap', stateConfigMapName(service), ROLLOUT_NAMESPACE)
      if (fresh === undefined) throw new NotFoundError(`${source(service)} was deleted while the rollout was running`)
      if (writeLanded(sent, fresh)) return fromConfigMap(fresh, service)
      stored = fromConfigMap(fresh, service)
    }
  }
}

/**
 * Follows the record live (one watch stream on the ConfigMap by name), calling `onChange` with
 * every new version. Used by `rollout status --watch` and by a running rollout to notice steering
 * from other machines (promote, abort) without polling.
 */
export async function watchRollout(
  client: KubeApi,
  service: string,
  fromResourceVersion: string,
  onChange: (stored: StoredRollout | undefined) => void,
): Promise<WatchHandle> {
  const path = await client.pathFor({apiVersion: 'v1', kind: 'ConfigMap', namespace: ROLLOUT_NAMESPACE})
  const handle = client.watch(path, {fieldSelector: `metadata.name=${stateConfigMapName(service)}`, resourceVersion: fromResourceVersion}, (event) => {
    if (event.type === 'BOOKMARK' || event.type === 'ERROR') return
    if (event.type === 'DELETED') return onChange(undefined)
    try {
      onChange(fromConfigMap(event.object, service))
    } catch {
      // A record we cannot read is reported by the next explicit read, not by the watch.
    }
  })
  handle.done.catch(() => undefined)
  return handle
}
