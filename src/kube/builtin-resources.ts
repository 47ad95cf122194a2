import type {ResourceInfo} from './api.js'

/**
 * The REST resources of Kubernetes' built-in kinds, fixed by the API itself: every conformant
 * cluster of a supported version (1.25 and later) serves these group/versions (all GA: batch/v1
 * CronJob and policy/v1 since 1.21, autoscaling/v2 since 1.23), so they need no discovery request.
 * Anything else (CRDs: Istio, the Prometheus operator) is discovered, and may be missing.
 */
const BUILTIN: Record<string, Record<string, ResourceInfo>> = {
  v1: {
    Namespace: {plural: 'namespaces', namespaced: false},
    Node: {plural: 'nodes', namespaced: false},
    PersistentVolume: {plural: 'persistentvolumes', namespaced: false},
    Pod: {plural: 'pods', namespaced: true},
    Service: {plural: 'services', namespaced: true},
    Endpoints: {plural: 'endpoints', namespaced: true},
    ConfigMap: {plural: 'configmaps', namespaced: true},
    Secret: {plural: 'secrets', namespaced: true},
    ServiceAccount: {plural: 'serviceaccounts', namespaced: true},
    Event: {plural: 'events', namespaced: true},
    PersistentVolumeClaim: {plural: 'persistentvolumeclaims', namespaced: true},
    ResourceQuota: {plural: 'resourcequotas', namespaced: true},
    LimitRange: {plural: 'limitranges', namespaced: true},
  },
  'apps/v1': {
    Deployment: {plural: 'deployments', namespaced: true},
    ReplicaSet: {plural: 'replicasets', namespaced: true},
    StatefulSet: {plural: 'statefulsets', namespaced: true},
    DaemonSet: {plural: 'daemonsets', namespaced: true},
    ControllerRevision: {plural: 'controllerrevisions', namespaced: true},
  },
  'batch/v1': {
    Job: {plural: 'jobs', namespaced: true},
    CronJob: {plural: 'cronjobs', namespaced: true},
  },
  'coordination.k8s.io/v1': {
    Lease: {plural: 'leases', namespaced: true},
  },
  'networking.k8s.io/v1': {
    NetworkPolicy: {plural: 'networkpolicies', namespaced: true},
    Ingress: {plural: 'ingresses', namespaced: true},
  },
  'policy/v1': {
    PodDisruptionBudget: {plural: 'poddisruptionbudgets', namespaced: true},
  },
  'autoscaling/v2': {
    HorizontalPodAutoscaler: {plural: 'horizontalpodautoscalers', namespaced: true},
  },
  'rbac.authorization.k8s.io/v1': {
    Role: {plural: 'roles', namespaced: true},
    RoleBinding: {plural: 'rolebindings', namespaced: true},
    ClusterRole: {plural: 'clusterroles', namespaced: false},
    ClusterRoleBinding: {plural: 'clusterrolebindings', namespaced: false},
  },
  'apiextensions.k8s.io/v1': {
    CustomResourceDefinition: {plural: 'customresourcedefinitions', namespaced: false},
  },
}

/** The resource of a built-in kind, or undefined when the kind must be discovered. */
export function builtinResource(apiVersion: string, kind: string): ResourceInfo | undefined {
  return BUILTIN[apiVersion]?.[kind]
}
