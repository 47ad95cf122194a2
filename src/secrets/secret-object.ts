import type {KubeObject} from '../kube/types.js'
import {BASELINE_NAME, commonLabels} from '../render/labels.js'
import {mygateVersion} from '../render/render-environment.js'

/**
 * The Secret objects mygate writes and what it reads back from them. Values travel base64-encoded
 * in `data` (never `stringData`, which server-side apply cannot own cleanly: the API server folds
 * it into `data` on write). Where a value came from is recorded in annotations, never the value.
 */

export const ANNOTATION_SOURCE = 'mygate.dev/secret-source'
/** The cloud secret store entry a `reference` Secret was copied from (an ARN or resource name). */
export const ANNOTATION_REFERENCE = 'mygate.dev/secret-reference'
/** `"true"` while any key holds a placeholder (dev tier only). */
export const ANNOTATION_PLACEHOLDER = 'mygate.dev/placeholder'
/** Which keys are placeholders, comma-separated. */
export const ANNOTATION_PLACEHOLDER_KEYS = 'mygate.dev/placeholder-keys'
/** When a user last set a value with `mygate secrets set` (ISO 8601). */
export const ANNOTATION_SET_AT = 'mygate.dev/secret-set-at'

/**
 * - generated: made by mygate (random or derived);
 * - external: set by a user (`mygate secrets set`, or created before mygate saw it);
 * - reference: copied from AWS Secrets Manager / Google Secret Manager;
 * - placeholder: dev tier, some keys not set yet (listed by the placeholder-keys annotation).
 */
export type SecretSource = 'generated' | 'external' | 'reference' | 'placeholder'

/** Where a Secret's values came from: written on every copy, carried over by `env create`. */
export interface SecretProvenance {
  source: Exclude<SecretSource, 'placeholder'>
  reference?: string
  setAt?: string
}

/** One copy of a Secret as found in a cluster (values still base64, as the API returns them). */
export interface ObservedSecret {
  region: string
  namespace: string
  name: string
  /** key -> base64 value. */
  data: Record<string, string>
  provenance: SecretProvenance
  placeholderKeys: string[]
  createdAt?: string
  resourceVersion?: string
}

export function observeSecret(region: string, object: KubeObject): ObservedSecret {
  const annotations = object.metadata.annotations ?? {}
  const declared = annotations[ANNOTATION_SOURCE]
  // A Secret mygate did not write (kubectl create secret) holds the user's values.
  const source: SecretProvenance['source'] = declared === 'generated' || declared === 'reference' ? declared : 'external'
  return {
    region,
    namespace: String(object.metadata.namespace),
    name: String(object.metadata.name),
    data: {...((object.data as Record<string, string> | undefined) ?? {})},
    provenance: {
      source,
      ...(annotations[ANNOTATION_REFERENCE] ? {reference: annotations[ANNOTATION_REFERENCE]} : {}),
      ...(annotations[ANNOTATION_SET_AT] ? {setAt: annotations[ANNOTATION_SET_AT]} : {}),
    },
    placeholderKeys: (annotations[ANNOTATION_PLACEHOLDER_KEYS] ?? '').split(',').filter((key) => key !== ''),
    ...(object.metadata.creationTimestamp ? {createdAt: object.metadata.creationTimestamp} : {}),
    ...(object.metadata.resourceVersion ? {resourceVersion: String(object.metadata.resourceVersion)} : {}),
  }
}

export interface SecretObjectInput {
  name: string
  namespace: string
  /** key -> base64 value. */
  data: Record<string, string>
  provenance: SecretProvenance
  placeholderKeys: string[]
  labels: Record<string, string>
}

/** The Secret to server-side apply: type Opaque, the naming contract's labels, provenance annotations. */
export function secretObject(input: SecretObjectInput): KubeObject {
  const placeholders = [...input.placeholderKeys].sort()
  const annotations: Record<string, string> = {
    [ANNOTATION_SOURCE]: input.provenance.source,
    ...(input.provenance.reference ? {[ANNOTATION_REFERENCE]: input.provenance.reference} : {}),
    ...(input.provenance.setAt ? {[ANNOTATION_SET_AT]: input.provenance.setAt} : {}),
    ...(placeholders.length > 0 ? {[ANNOTATION_PLACEHOLDER]: 'true', [ANNOTATION_PLACEHOLDER_KEYS]: placeholders.join(',')} : {}),
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: input.name, namespace: input.namespace, labels: {...input.labels}, annotations},
    type: 'Opaque',
    data: Object.fromEntries(Object.keys(input.data).sort().map((key) => [key, input.data[key]])),
  }
}

/**
 * A placeholder says what it is, so a person or a log that meets it knows at once: it is not
 * a credential, and how to set the real one.
 */
export function placeholderValue(secret: string, key: string, env: string): string {
  return `mygate-placeholder: ${secret}/${key} is not set (mygate secrets set ${secret} --env ${env})`
}

/**
 * Secrets belong to the environment rather than to one service (redis-auth is read by six), so
 * they carry the naming contract's labels of baseline objects: `app.kubernetes.io/name:
 * mygate-baseline`, the mygate version, `mygate.dev/environment` (src/render/labels.ts).
 */
export function secretLabels(envName: string): Record<string, string> {
  return commonLabels(BASELINE_NAME, mygateVersion(), envName)
}

export const toBase64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64')
export const fromBase64 = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8')
