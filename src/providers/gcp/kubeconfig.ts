import type {KubeconfigContents} from '../../kube/kubeconfig/format.js'

/** kubeconfig entries for GKE, with the exec user gcloud writes (gke-gcloud-auth-plugin). */

export interface GkeKubeconfigCluster {
  /** Context, cluster and user name: mygate-ENV-REGION. */
  name: string
  /** Host or IP of the control plane, as GKE returns it (no scheme). */
  endpoint: string
  /** Base64 PEM, masterAuth.clusterCaCertificate. */
  certificateAuthorityData?: string
}

export const GKE_AUTH_PLUGIN_HINT =
  'Install gke-gcloud-auth-plugin for use with kubectl by following https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin'

export function gkeKubeconfig(clusters: GkeKubeconfigCluster[]): KubeconfigContents {
  return {
    clusters: clusters.map((cluster) => ({
      name: cluster.name,
      cluster: {
        server: cluster.endpoint.startsWith('https://') ? cluster.endpoint : `https://${cluster.endpoint}`,
        ...(cluster.certificateAuthorityData ? {'certificate-authority-data': cluster.certificateAuthorityData} : {}),
      },
    })),
    users: clusters.map((cluster) => ({
      name: cluster.name,
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          command: 'gke-gcloud-auth-plugin',
          installHint: GKE_AUTH_PLUGIN_HINT,
          provideClusterInfo: true,
        },
      },
    })),
    contexts: clusters.map((cluster) => ({name: cluster.name, context: {cluster: cluster.name, user: cluster.name}})),
    currentContext: clusters[0]?.name,
  }
}
