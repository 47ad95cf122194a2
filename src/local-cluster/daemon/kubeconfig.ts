import type {KubeconfigContents} from '../../providers/kubeconfig-file.js'
import {localContextName} from './paths.js'
import type {ClusterRecord} from './protocol.js'

/**
 * kubeconfig contents for local clusters: plain HTTP on loopback, no credentials needed.
 * client-node refuses http:// servers unless TLS verification is marked skipped.
 */
export function localKubeconfig(clusters: Array<Pick<ClusterRecord, 'name' | 'port'>>): KubeconfigContents {
  return {
    clusters: clusters.map((c) => ({name: localContextName(c.name), cluster: {server: `http://127.0.0.1:${c.port}`, 'insecure-skip-tls-verify': true}})),
    users: [{name: 'mygate-local', user: {token: 'mygate-local'}}],
    contexts: clusters.map((c) => ({name: localContextName(c.name), context: {cluster: localContextName(c.name), user: 'mygate-local'}})),
    ...(clusters[0] ? {currentContext: localContextName(clusters[0].name)} : {}),
  }
}
