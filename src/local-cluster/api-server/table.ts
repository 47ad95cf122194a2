import type {KubeObject} from '../../kube/types.js'
import {formatLabelSelectorObject, type LabelSelectorObject} from '../store/selectors.js'
import type {ResourceType} from '../store/types.js'
import {isDefaultClass} from '../storage/storage-classes.js'

interface Column {
  name: string
  type: 'string' | 'integer' | 'date'
  format?: string
  description: string
  priority: number
  cell: (object: KubeObject, now: number) => unknown
}

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/** kubectl's "human duration" (apimachinery duration.HumanDuration): 45s, 3m20s, 5h10m, 12d. */
export function humanAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  const minutes = Math.floor(seconds / 60)
  const hours = Math.floor(minutes / 60)
  if (seconds < 120) return `${seconds}s`
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`
  return `${Math.floor(hours / 24 / 365)}y`
}

const name: Column = {name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0, cell: (o) => o.metadata.name}
const age: Column = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
  cell: (o, now) => (o.metadata.creationTimestamp ? humanAge(now - Date.parse(o.metadata.creationTimestamp)) : '<unknown>'),
}

function col(title: string, cell: Column['cell'], options: {type?: Column['type']; priority?: number; description?: string} = {}): Column {
  return {name: title, type: options.type ?? 'string', description: options.description ?? title, priority: options.priority ?? 0, cell}
}

const spec = (o: KubeObject): Obj => (o.spec ?? {}) as Obj
const status = (o: KubeObject): Obj => (o.status ?? {}) as Obj
const podTemplateContainers = (o: KubeObject): Obj[] => spec(o).template?.spec?.containers ?? []

/** RWO,ROX: kubectl's short access modes. */
function accessModes(modes: string[]): string {
  const short: Record<string, string> = {ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP'}
  return modes.map((m) => short[m] ?? m).join(',')
}

/** `requests.cpu: 850m/1, pods: 2/5`: used/hard per resource, limits.* in the Limit column. */
function quotaColumn(quota: KubeObject, limits: boolean): string {
  const hard = (status(quota).hard ?? {}) as Record<string, string>
  const used = (status(quota).used ?? {}) as Record<string, string>
  return Object.keys(hard)
    .sort()
    .filter((resource) => (resource.split('.')[0] === 'limits' && resource.includes('.')) === limits)
    .map((resource) => `${resource}: ${used[resource] ?? '0'}/${hard[resource]}`)
    .join(', ')
}

function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating'
  const s = status(pod)
  for (const c of s.containerStatuses ?? []) {
    const reason = c.state?.waiting?.reason ?? c.state?.terminated?.reason
    if (reason) return reason
  }
  return s.reason ?? s.phase ?? 'Unknown'
}

const workloadWide = [
  col('Containers', (o) => podTemplateContainers(o).map((c) => c.name).join(','), {priority: 1}),
  col('Images', (o) => podTemplateContainers(o).map((c) => c.image).join(','), {priority: 1}),
  col('Selector', (o) => formatLabelSelectorObject(spec(o).selector as LabelSelectorObject), {priority: 1}),
]

const COLUMNS: Record<string, Column[]> = {
  '/pods': [
    name,
    col('Ready', (o) => `${(status(o).containerStatuses ?? []).filter((c: Obj) => c.ready).length}/${(spec(o).containers ?? []).length}`),
    col('Status', podStatus),
    col('Restarts', (o) => (status(o).containerStatuses ?? []).reduce((n: number, c: Obj) => n + (c.restartCount ?? 0), 0), {type: 'integer'}),
    age,
    col('IP', (o) => status(o).podIP ?? '<none>', {priority: 1}),
    col('Node', (o) => spec(o).nodeName ?? '<none>', {priority: 1}),
    col('Nominated Node', (o) => status(o).nominatedNodeName ?? '<none>', {priority: 1}),
    col('Readiness Gates', (o) => (spec(o).readinessGates ? String(spec(o).readinessGates.length) : '<none>'), {priority: 1}),
  ],
  'apps/deployments': [
    name,
    col('Ready', (o) => `${status(o).readyReplicas ?? 0}/${spec(o).replicas ?? 1}`),
    col('Up-to-date', (o) => status(o).updatedReplicas ?? 0, {type: 'integer'}),
    col('Available', (o) => status(o).availableReplicas ?? 0, {type: 'integer'}),
    age,
    ...workloadWide,
  ],
  'apps/replicasets': [
    name,
    col('Desired', (o) => spec(o).replicas ?? 1, {type: 'integer'}),
    col('Current', (o) => status(o).replicas ?? 0, {type: 'integer'}),
    col('Ready', (o) => status(o).readyReplicas ?? 0, {type: 'integer'}),
    age,
    ...workloadWide,
  ],
  'apps/statefulsets': [name, col('Ready', (o) => `${status(o).readyReplicas ?? 0}/${spec(o).replicas ?? 1}`), age, ...workloadWide.slice(0, 2)],
  '/services': [
    name,
    col('Type', (o) => spec(o).type ?? 'ClusterIP'),
    col('Cluster-IP', (o) => spec(o).clusterIP ?? '<none>'),
    col('External-IP', (o) => (status(o).loadBalancer?.ingress ?? []).map((i: Obj) => i.ip ?? i.hostname).join(',') || (spec(o).externalIPs ?? []).join(',') || '<none>'),
    col('Port(s)', (o) => (spec(o).ports ?? []).map((p: Obj) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>'),
    age,
    col('Selector', (o) => Object.entries(spec(o).selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>', {priority: 1}),
  ],
  '/nodes': [
    name,
    col('Status', (o) => ((status(o).conditions ?? []).find((c: Obj) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady') + (spec(o).unschedulable ? ',SchedulingDisabled' : '')),
    col('Roles', (o) => Object.keys(o.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice(24)).join(',') || '<none>'),
    age,
    col('Version', (o) => status(o).nodeInfo?.kubeletVersion ?? ''),
    col('Internal-IP', (o) => (status(o).addresses ?? []).find((a: Obj) => a.type === 'InternalIP')?.address ?? '<none>', {priority: 1}),
  ],
  '/namespaces': [name, col('Status', (o) => status(o).phase ?? 'Active'), age],
  '/configmaps': [name, col('Data', (o) => Object.keys((o.data as Obj) ?? {}).length + Object.keys((o.binaryData as Obj) ?? {}).length, {type: 'integer'}), age],
  '/secrets': [name, col('Type', (o) => o.type ?? 'Opaque'), col('Data', (o) => Object.keys((o.data as Obj) ?? {}).length, {type: 'integer'}), age],
  'batch/jobs': [
    name,
    col('Completions', (o) => `${status(o).succeeded ?? 0}/${spec(o).completions ?? 1}`),
    col('Duration', (o) => (status(o).startTime ? humanAge(Date.parse(status(o).completionTime ?? new Date().toISOString()) - Date.parse(status(o).startTime)) : '')),
    age,
  ],
  'batch/cronjobs': [name, col('Schedule', (o) => spec(o).schedule), col('Suspend', (o) => String(spec(o).suspend ?? false)), col('Active', (o) => (status(o).active ?? []).length, {type: 'integer'}), age],
  // Storage and quota, as kubectl's server-side printers lay them out (pkg/printers/internalversion/printers.go).
  '/persistentvolumeclaims': [
    name,
    col('Status', (o) => (o.metadata.deletionTimestamp ? 'Terminating' : (status(o).phase ?? ''))),
    col('Volume', (o) => spec(o).volumeName ?? ''),
    col('Capacity', (o) => status(o).capacity?.storage ?? ''),
    col('Access Modes', (o) => accessModes(status(o).accessModes ?? [])),
    col('StorageClass', (o) => spec(o).storageClassName ?? ''),
    col('VolumeAttributesClass', (o) => spec(o).volumeAttributesClassName ?? '<unset>'),
    age,
    col('VolumeMode', (o) => spec(o).volumeMode ?? '<unset>', {priority: 1}),
  ],
  '/persistentvolumes': [
    name,
    col('Capacity', (o) => spec(o).capacity?.storage ?? ''),
    col('Access Modes', (o) => accessModes(spec(o).accessModes ?? [])),
    col('Reclaim Policy', (o) => spec(o).persistentVolumeReclaimPolicy ?? ''),
    col('Status', (o) => (o.metadata.deletionTimestamp ? 'Terminating' : (status(o).phase ?? ''))),
    col('Claim', (o) => (spec(o).claimRef ? `${spec(o).claimRef.namespace}/${spec(o).claimRef.name}` : '')),
    col('StorageClass', (o) => spec(o).storageClassName ?? ''),
    col('VolumeAttributesClass', (o) => spec(o).volumeAttributesClassName ?? '<unset>'),
    col('Reason', (o) => status(o).reason ?? ''),
    age,
    col('VolumeMode', (o) => spec(o).volumeMode ?? '<unset>', {priority: 1}),
  ],
  'storage.k8s.io/storageclasses': [
    {...name, cell: (o) => (isDefaultClass(o) ? `${o.metadata.name} (default)` : o.metadata.name)},
    col('Provisioner', (o) => (o as Obj).provisioner ?? ''),
    col('ReclaimPolicy', (o) => (o as Obj).reclaimPolicy ?? 'Delete'),
    col('VolumeBindingMode', (o) => (o as Obj).volumeBindingMode ?? 'Immediate'),
    col('AllowVolumeExpansion', (o) => String((o as Obj).allowVolumeExpansion ?? false)),
    age,
  ],
  '/resourcequotas': [name, age, col('Request', (o) => quotaColumn(o, false)), col('Limit', (o) => quotaColumn(o, true))],
  '/endpoints': [name, col('Endpoints', (o) => ((o.subsets as Obj[]) ?? []).flatMap((s) => (s.addresses ?? []).flatMap((a: Obj) => (s.ports ?? [{}]).map((p: Obj) => (p.port ? `${a.ip}:${p.port}` : a.ip)))).join(',') || '<none>'), age],
}

function columnsFor(type: ResourceType): Column[] {
  return COLUMNS[`${type.group}/${type.resource}`] ?? [name, age]
}

function partialMetadata(object: KubeObject): Record<string, unknown> {
  const {managedFields: _m, ...metadata} = object.metadata
  return {kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata}
}

/**
 * The `meta.k8s.io/v1` Table kubectl asks for (`Accept: application/json;as=Table;...`).
 * `includeObject` follows the server: Metadata (default), Object or None.
 */
export function toTable(type: ResourceType, objects: readonly KubeObject[], meta: Record<string, unknown>, includeObject = 'Metadata'): Record<string, unknown> {
  const columns = columnsFor(type)
  const now = Date.now()
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: columns.map(({name: n, type: t, format, description, priority}) => ({name: n, type: t, format: format ?? '', description, priority})),
    rows: objects.map((object) => ({
      cells: columns.map((c) => {
        const value = c.cell(object, now)
        return value === undefined || value === null ? '' : value
      }),
      ...(includeObject === 'None' ? {} : {object: includeObject === 'Object' ? object : partialMetadata(object)}),
    })),
  }
}

export function wantsTable(accept: string | undefined): boolean {
  return Boolean(accept && /as=Table/.test(accept))
}
