import type {ResourceType} from './types.js'

/** Group and version of the built-in `Fault` kind the fault-injection code stores its state in. */
export const FAULTS_GROUP = 'local.mygate.dev'
export const FAULTS_RESOURCE = {group: FAULTS_GROUP, resource: 'faults'} as const

interface TypeSpec {
  shortNames?: string[]
  categories?: string[]
  status?: boolean
  scale?: boolean
  cluster?: boolean
  nameRule?: ResourceType['nameRule']
  versions?: string[]
  /** Irregular singulars (endpoints, ingresses...). */
  singular?: string
}

function type(groupVersion: string, resource: string, kind: string, spec: TypeSpec = {}): ResourceType {
  const [group, version] = groupVersion.includes('/') ? groupVersion.split('/') : ['', groupVersion]
  const subresources = spec.status || spec.scale ? {status: spec.status ?? false, scale: spec.scale ?? false} : undefined
  return {
    group,
    version,
    resource,
    kind,
    listKind: `${kind}List`,
    singular: spec.singular ?? kind.toLowerCase(),
    namespaced: !spec.cluster,
    ...(spec.shortNames ? {shortNames: spec.shortNames} : {}),
    ...(spec.categories ? {categories: spec.categories} : {}),
    ...(subresources ? {subresources} : {}),
    ...(spec.nameRule ? {nameRule: spec.nameRule} : {}),
    ...(spec.versions ? {versions: spec.versions} : {}),
  }
}

const all = ['all']

/**
 * The kinds every local cluster serves from the start. Short names and categories are the real
 * API server's, so `kubectl get deploy` and `kubectl get all` resolve the same way.
 */
export function builtinTypes(): ResourceType[] {
  return [
    type('v1', 'namespaces', 'Namespace', {shortNames: ['ns'], status: true, cluster: true, nameRule: 'label'}),
    type('v1', 'pods', 'Pod', {shortNames: ['po'], categories: all, status: true}),
    type('v1', 'services', 'Service', {shortNames: ['svc'], categories: all, status: true, nameRule: 'label'}),
    type('v1', 'endpoints', 'Endpoints', {shortNames: ['ep'], singular: 'endpoints'}),
    type('v1', 'configmaps', 'ConfigMap', {shortNames: ['cm']}),
    type('v1', 'secrets', 'Secret'),
    type('v1', 'serviceaccounts', 'ServiceAccount', {shortNames: ['sa']}),
    type('v1', 'events', 'Event', {shortNames: ['ev']}),
    type('v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', {shortNames: ['pvc'], status: true}),
    type('v1', 'persistentvolumes', 'PersistentVolume', {shortNames: ['pv'], status: true, cluster: true}),
    type('v1', 'resourcequotas', 'ResourceQuota', {shortNames: ['quota'], status: true}),
    type('v1', 'limitranges', 'LimitRange', {shortNames: ['limits']}),
    type('v1', 'nodes', 'Node', {shortNames: ['no'], status: true, cluster: true}),
    type('apps/v1', 'deployments', 'Deployment', {shortNames: ['deploy'], categories: all, status: true, scale: true}),
    type('apps/v1', 'replicasets', 'ReplicaSet', {shortNames: ['rs'], categories: all, status: true, scale: true}),
    type('apps/v1', 'statefulsets', 'StatefulSet', {shortNames: ['sts'], categories: all, status: true, scale: true}),
    type('apps/v1', 'controllerrevisions', 'ControllerRevision'),
    type('batch/v1', 'jobs', 'Job', {categories: all, status: true}),
    type('batch/v1', 'cronjobs', 'CronJob', {shortNames: ['cj'], categories: all, status: true}),
    type('coordination.k8s.io/v1', 'leases', 'Lease'),
    type('storage.k8s.io/v1', 'storageclasses', 'StorageClass', {shortNames: ['sc'], cluster: true}),
    type('networking.k8s.io/v1', 'networkpolicies', 'NetworkPolicy', {shortNames: ['netpol']}),
    type('networking.k8s.io/v1', 'ingresses', 'Ingress', {shortNames: ['ing'], status: true, singular: 'ingress'}),
    type('policy/v1', 'poddisruptionbudgets', 'PodDisruptionBudget', {shortNames: ['pdb'], status: true}),
    type('autoscaling/v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', {
      shortNames: ['hpa'],
      categories: all,
      status: true,
      versions: ['v2', 'v1'],
    }),
    type('rbac.authorization.k8s.io/v1', 'roles', 'Role', {nameRule: 'path'}),
    type('rbac.authorization.k8s.io/v1', 'rolebindings', 'RoleBinding', {nameRule: 'path'}),
    type('rbac.authorization.k8s.io/v1', 'clusterroles', 'ClusterRole', {nameRule: 'path', cluster: true}),
    type('rbac.authorization.k8s.io/v1', 'clusterrolebindings', 'ClusterRoleBinding', {nameRule: 'path', cluster: true}),
    type('apiextensions.k8s.io/v1', 'customresourcedefinitions', 'CustomResourceDefinition', {
      shortNames: ['crd', 'crds'],
      status: true,
      cluster: true,
    }),
    type(`${FAULTS_GROUP}/v1`, 'faults', 'Fault', {status: true}),
  ]
}

/** Namespaces that exist in every new cluster, as in a fresh kube-apiserver. */
export const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const
