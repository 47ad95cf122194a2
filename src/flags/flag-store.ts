import {ConflictError, NotFoundError} from '../errors.js'
import {NAMESPACES} from '../config/types.js'
import type {KubeApi} from '../kube/api.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import {assertValidFlagSet} from './flag-schema.js'
import type {FlagSet} from './types.js'

/**
 * Where an environment's flags live: ONE FeatureFlag (core.openfeature.dev/v1beta1, the OpenFeature
 * Operator's resource, which flagd's Kubernetes sync reads) named `mygate-flags` in the app
 * namespace, in every region's cluster. One object per environment rather than one per flag: flagd
 * is started with one `--uri` per source, so one object means one watch and a fixed flagd command
 * line however many flags are added; and a write of the whole set is atomic (resourceVersion).
 */

export const FEATURE_FLAG_API_VERSION = 'core.openfeature.dev/v1beta1'
export const FEATURE_FLAG_KIND = 'FeatureFlag'
export const FEATURE_FLAG_NAME = 'mygate-flags'
export const FLAGS_NAMESPACE: string = NAMESPACES.apps

export interface StoredFlagSet {
  set: FlagSet
  resourceVersion?: string
}

/** The environment's flag set in one cluster; an empty set when the FeatureFlag does not exist yet. */
export async function readFlagSet(client: KubeApi): Promise<StoredFlagSet> {
  const object = await client.get(FEATURE_FLAG_API_VERSION, FEATURE_FLAG_KIND, FEATURE_FLAG_NAME, FLAGS_NAMESPACE)
  if (!object) return {set: {flags: {}}}
  const flagSpec = (object.spec as {flagSpec?: FlagSet} | undefined)?.flagSpec
  return {set: {flags: {}, ...flagSpec}, resourceVersion: String(object.metadata.resourceVersion)}
}

export function featureFlagObject(set: FlagSet, environment: string, resourceVersion?: string): KubeObject {
  return {
    apiVersion: FEATURE_FLAG_API_VERSION,
    kind: FEATURE_FLAG_KIND,
    metadata: {
      name: FEATURE_FLAG_NAME,
      namespace: FLAGS_NAMESPACE,
      labels: {'app.kubernetes.io/managed-by': MANAGED_BY, 'mygate.dev/environment': environment},
      ...(resourceVersion === undefined ? {} : {resourceVersion}),
    },
    spec: {flagSpec: set},
  }
}

async function writeOne(client: KubeApi, set: FlagSet, environment: string, resourceVersion: string | undefined): Promise<void> {
  if (resourceVersion === undefined) await client.create(featureFlagObject(set, environment))
  else await client.replace(featureFlagObject(set, environment, resourceVersion))
}

export interface FlagSetChange {
  before: FlagSet
  after: FlagSet
}

/**
 * Reads the set from the first region, computes `change(set)`, validates it against flagd's schema,
 * and writes it to every region (each with the resourceVersion it holds, so a concurrent writer is
 * detected; the first region is retried on conflict with a fresh read). Every region ends with the
 * same set: the first region's, changed. Throws before writing anything when the change is invalid.
 */
export async function changeFlagSet(
  clients: ReadonlyMap<string, KubeApi>,
  environment: string,
  change: (set: FlagSet) => FlagSet,
  attempts = 5,
): Promise<FlagSetChange> {
  const regions = [...clients.keys()]
  if (regions.length === 0) throw new NotFoundError(`environment "${environment}" has no reachable cluster`)
  const first = clients.get(regions[0]) as KubeApi
  for (let attempt = 1; ; attempt++) {
    const stored = await readFlagSet(first)
    const after = change(structuredClone(stored.set))
    assertValidFlagSet(after, `flags of ${environment}`)
    try {
      await writeOne(first, after, environment, stored.resourceVersion)
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error
      continue
    }
    for (const region of regions.slice(1)) {
      const client = clients.get(region) as KubeApi
      for (let tries = 1; ; tries++) {
        const there = await readFlagSet(client)
        try {
          await writeOne(client, after, environment, there.resourceVersion)
          break
        } catch (error) {
          if (!(error instanceof ConflictError) || tries >= attempts) throw error
        }
      }
    }
    return {before: stored.set, after}
  }
}
