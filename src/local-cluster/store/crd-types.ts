import type {KubeObject} from '../../kube/types.js'
import type {StatusCause} from './api-error.js'
import {isDns1123Subdomain} from './validate-meta.js'
import type {ResourceType} from './types.js'

interface CrdVersion {
  name: string
  served?: boolean
  storage?: boolean
  subresources?: {status?: unknown; scale?: {specReplicasPath?: string; statusReplicasPath?: string; labelSelectorPath?: string}}
}

interface CrdSpec {
  group?: string
  scope?: string
  names?: {plural?: string; singular?: string; kind?: string; listKind?: string; shortNames?: string[]; categories?: string[]}
  versions?: CrdVersion[]
}

/** What is wrong with a CustomResourceDefinition's spec (422 causes); empty when servable. */
export function validateCrd(crd: KubeObject): StatusCause[] {
  const spec = (crd.spec ?? {}) as CrdSpec
  const causes: StatusCause[] = []
  const required = (field: string): void => void causes.push({reason: 'FieldValueRequired', message: 'Required value', field})
  if (!spec.group) required('spec.group')
  if (!spec.names?.plural) required('spec.names.plural')
  if (!spec.names?.kind) required('spec.names.kind')
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    causes.push({reason: 'FieldValueNotSupported', message: `Unsupported value: "${spec.scope ?? ''}": supported values: "Cluster", "Namespaced"`, field: 'spec.scope'})
  }
  if (!Array.isArray(spec.versions) || spec.versions.length === 0) required('spec.versions')
  else if (spec.versions.filter((v) => v.storage).length !== 1) {
    causes.push({reason: 'FieldValueInvalid', message: 'Invalid value: must have exactly one version marked as storage version', field: 'spec.versions'})
  }
  if (spec.group && spec.names?.plural && crd.metadata.name !== `${spec.names.plural}.${spec.group}`) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${String(crd.metadata.name)}": must be spec.names.plural+"."+spec.group`,
      field: 'metadata.name',
    })
  }
  if (spec.group && !isDns1123Subdomain(spec.group)) {
    causes.push({reason: 'FieldValueInvalid', message: `Invalid value: "${spec.group}": should be a domain with at least one dot`, field: 'spec.group'})
  }
  return causes
}

/** The resource type a (valid) CRD serves: all served versions, storage version first. */
export function typeFromCrd(crd: KubeObject): ResourceType {
  const spec = crd.spec as CrdSpec
  const names = spec.names!
  const versions = (spec.versions ?? []).filter((v) => v.served !== false)
  const storage = versions.find((v) => v.storage) ?? versions[0]
  const ordered = [storage, ...versions.filter((v) => v !== storage)]
  const scale = storage.subresources?.scale
  return {
    group: spec.group!,
    version: storage.name,
    versions: ordered.map((v) => v.name),
    resource: names.plural!,
    kind: names.kind!,
    listKind: names.listKind ?? `${names.kind}List`,
    singular: names.singular ?? names.kind!.toLowerCase(),
    namespaced: spec.scope === 'Namespaced',
    ...(names.shortNames ? {shortNames: names.shortNames} : {}),
    ...(names.categories ? {categories: names.categories} : {}),
    subresources: {status: storage.subresources?.status !== undefined, scale: scale !== undefined},
    ...(scale
      ? {
          scalePaths: {
            specReplicasPath: scale.specReplicasPath ?? '.spec.replicas',
            statusReplicasPath: scale.statusReplicasPath ?? '.status.replicas',
            ...(scale.labelSelectorPath ? {labelSelectorPath: scale.labelSelectorPath} : {}),
          },
        }
      : {}),
    custom: true,
  }
}

/** The status a real apiextensions server settles on for a CRD it serves. */
export function establishedCrdStatus(crd: KubeObject, now: string): Record<string, unknown> {
  const spec = crd.spec as CrdSpec
  const names = spec.names ?? {}
  return {
    acceptedNames: {
      plural: names.plural,
      singular: names.singular ?? names.kind?.toLowerCase(),
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      ...(names.shortNames ? {shortNames: names.shortNames} : {}),
      ...(names.categories ? {categories: names.categories} : {}),
    },
    conditions: [
      {type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found'},
      {type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted'},
    ],
    storedVersions: (spec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
  }
}
