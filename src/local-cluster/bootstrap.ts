import type {KubeObject} from '../kube/types.js'
import type {LocalObjectStore} from './store/index.js'

/**
 * What a production cluster mygate targets already has installed, added to every local cluster
 * so the same manifests apply: the Istio, Prometheus Operator and OpenFeature CRDs mygate renders objects of,
 * and the in-cluster Prometheus Service that rollout analysis reaches through the API server's
 * service proxy (the local control plane answers that proxy with its own metrics).
 */

interface CrdSpec {
  group: string
  kind: string
  plural: string
  versions: string[]
  shortNames?: string[]
}

const CRDS: CrdSpec[] = [
  {group: 'networking.istio.io', kind: 'VirtualService', plural: 'virtualservices', versions: ['v1beta1', 'v1'], shortNames: ['vs']},
  {group: 'networking.istio.io', kind: 'DestinationRule', plural: 'destinationrules', versions: ['v1beta1', 'v1'], shortNames: ['dr']},
  {group: 'security.istio.io', kind: 'PeerAuthentication', plural: 'peerauthentications', versions: ['v1beta1', 'v1'], shortNames: ['pa']},
  {group: 'monitoring.coreos.com', kind: 'PrometheusRule', plural: 'prometheusrules', versions: ['v1'], shortNames: ['promrule']},
  {group: 'monitoring.coreos.com', kind: 'ServiceMonitor', plural: 'servicemonitors', versions: ['v1'], shortNames: ['smon']},
  // The OpenFeature Operator's FeatureFlag, which flagd's Kubernetes sync reads (the flags of an
  // environment; the traffic model evaluates them with flagd's own library).
  {group: 'core.openfeature.dev', kind: 'FeatureFlag', plural: 'featureflags', versions: ['v1beta1'], shortNames: ['ff']},
]

export const PROMETHEUS_SERVICE = {namespace: 'monitoring', name: 'prometheus', port: 9090}

function crd(spec: CrdSpec): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {name: `${spec.plural}.${spec.group}`, labels: {'app.kubernetes.io/managed-by': 'mygate-local'}},
    spec: {
      group: spec.group,
      scope: 'Namespaced',
      names: {kind: spec.kind, plural: spec.plural, singular: spec.kind.toLowerCase(), listKind: `${spec.kind}List`, shortNames: spec.shortNames},
      versions: spec.versions.map((name, i) => ({
        name,
        served: true,
        storage: i === spec.versions.length - 1,
        schema: {openAPIV3Schema: {type: 'object', 'x-kubernetes-preserve-unknown-fields': true}},
      })),
    },
  }
}

/**
 * Which operators' CRDs a local cluster is bootstrapped without: `MYGATE_LOCAL_WITHOUT_CRDS`, a
 * comma-separated list of API groups (`monitoring.coreos.com` simulates a cluster where
 * prometheus-operator is not installed, as a fresh EKS or GKE cluster is: its discovery then has
 * no monitoring.coreos.com/v1 and a PrometheusRule is refused with 404, as kube-apiserver refuses
 * a kind no CRD defines). Read at every start of the daemon; a CRD a cluster already has stays
 * (uninstalling an operator is not simulated).
 */
export function crdGroupsWithoutFromEnv(env: NodeJS.ProcessEnv): string[] {
  return (env.MYGATE_LOCAL_WITHOUT_CRDS ?? '')
    .split(',')
    .map((group) => group.trim())
    .filter((group) => group !== '')
}

export function bootstrapObjects(options: {withoutCrdGroups?: readonly string[]} = {}): Array<{ref: {group: string; resource: string}; object: KubeObject}> {
  const without = new Set(options.withoutCrdGroups ?? [])
  return [
    ...CRDS.filter((spec) => !without.has(spec.group)).map((spec) => ({ref: {group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions'}, object: crd(spec)})),
    {ref: {group: '', resource: 'namespaces'}, object: {apiVersion: 'v1', kind: 'Namespace', metadata: {name: PROMETHEUS_SERVICE.namespace}}},
    {
      ref: {group: '', resource: 'services'},
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {name: PROMETHEUS_SERVICE.name, namespace: PROMETHEUS_SERVICE.namespace, labels: {'app.kubernetes.io/name': 'prometheus'}},
        spec: {ports: [{name: 'web', port: PROMETHEUS_SERVICE.port, targetPort: PROMETHEUS_SERVICE.port}]},
      },
    },
  ]
}

/** Creates whatever of the bootstrap set is missing (a restarted cluster already has it). */
export function bootstrapCluster(store: LocalObjectStore, options: {withoutCrdGroups?: readonly string[]} = {}): void {
  for (const {ref, object} of bootstrapObjects(options)) {
    if (!store.get(ref, object.metadata.namespace, String(object.metadata.name))) store.create(ref, object)
  }
}
