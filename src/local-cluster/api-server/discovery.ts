import type {ResourceType} from '../store/types.js'

/** The version this server reports: inside kubectl 1.27-1.33's supported skew of its minor. */
export const SERVER_VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
const SUBRESOURCE_VERBS = ['get', 'patch', 'update']

export function servedVersions(type: ResourceType): string[] {
  return type.versions ?? [type.version]
}

/** `/apis`: every group with its versions (the first is preferred), in a stable order. */
export function apiGroupList(types: ResourceType[]): Record<string, unknown> {
  const groups = new Map<string, string[]>()
  for (const type of types) {
    if (type.group === '') continue
    const versions = groups.get(type.group) ?? []
    for (const v of servedVersions(type)) if (!versions.includes(v)) versions.push(v)
    groups.set(type.group, versions)
  }
  return {kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups].map(([name, versions]) => apiGroup(name, versions))}
}

export function apiGroup(name: string, versions: string[]): Record<string, unknown> {
  const list = versions.map((version) => ({groupVersion: `${name}/${version}`, version}))
  return {kind: 'APIGroup', apiVersion: 'v1', name, versions: list, preferredVersion: list[0]}
}

export function groupVersions(types: ResourceType[], group: string): string[] {
  const versions: string[] = []
  for (const type of types) if (type.group === group) for (const v of servedVersions(type)) if (!versions.includes(v)) versions.push(v)
  return versions
}

/** `/api/v1`, `/apis/GROUP/VERSION`: the resources with their verbs and subresources. */
export function apiResourceList(types: ResourceType[], group: string, version: string): Record<string, unknown> | undefined {
  const served = types.filter((t) => t.group === group && servedVersions(t).includes(version))
  if (served.length === 0) return undefined
  const resources: Record<string, unknown>[] = []
  for (const type of served) {
    resources.push({
      name: type.resource,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: VERBS,
      ...(type.shortNames ? {shortNames: type.shortNames} : {}),
      ...(type.categories ? {categories: type.categories} : {}),
    })
    if (type.subresources?.status) {
      resources.push({name: `${type.resource}/status`, singularName: '', namespaced: type.namespaced, kind: type.kind, verbs: SUBRESOURCE_VERBS})
    }
    if (type.subresources?.scale) {
      resources.push({name: `${type.resource}/scale`, singularName: '', namespaced: type.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: SUBRESOURCE_VERBS})
    }
    if (group === '' && type.resource === 'services') {
      resources.push({name: 'services/proxy', singularName: '', namespaced: true, kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update']})
    }
    if (group === '' && type.resource === 'pods') {
      resources.push({name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get']})
    }
    if (group === '' && type.resource === 'namespaces') {
      resources.push({name: 'namespaces/finalize', singularName: '', namespaced: false, kind: 'Namespace', verbs: ['update']})
    }
  }
  return {kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources}
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress}]}
}
