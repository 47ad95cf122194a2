import type {KubeconfigContents} from '../../kube/kubeconfig/format.js'

/**
 * kubeconfig entries for EKS clusters, shaped like `aws eks update-kubeconfig` writes them, except
 * the token comes from `mygate auth eks-token` (minted in-process, no aws CLI needed).
 */

export interface EksKubeconfigCluster {
  /** Used as cluster, user and context name: mygate-ENV-REGION. */
  name: string
  region: string
  endpoint: string
  /** Base64 PEM bundle, as DescribeCluster returns it. */
  certificateAuthorityData?: string
}

export interface EksExecOptions {
  /** The mygate executable (absolute path when known). */
  command: string
  /** AWS_PROFILE to pin in the exec environment, as update-kubeconfig does with --profile. */
  profile?: string
}

export function eksKubeconfig(clusters: EksKubeconfigCluster[], exec: EksExecOptions): KubeconfigContents {
  return {
    clusters: clusters.map((cluster) => ({
      name: cluster.name,
      cluster: {
        server: cluster.endpoint,
        ...(cluster.certificateAuthorityData ? {'certificate-authority-data': cluster.certificateAuthorityData} : {}),
      },
    })),
    users: clusters.map((cluster) => ({
      name: cluster.name,
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          command: exec.command,
          args: ['auth', 'eks-token', '--cluster', cluster.name, '--region', cluster.region],
          env: exec.profile ? [{name: 'AWS_PROFILE', value: exec.profile}] : null,
          interactiveMode: 'Never',
          provideClusterInfo: false,
        },
      },
    })),
    contexts: clusters.map((cluster) => ({name: cluster.name, context: {cluster: cluster.name, user: cluster.name}})),
    currentContext: clusters[0]?.name,
  }
}
