import {mkdir} from 'node:fs/promises'
import {dirname} from 'node:path'
import {stringify} from 'yaml'

import {writeFileAtomic} from '../../atomic-file.js'
import {localContextName} from './paths.js'
import type {ClusterRecord} from './protocol.js'

/**
 * kubeconfig contents for local clusters: plain HTTP on loopback, no credentials needed.
 * client-node refuses http:// servers unless TLS verification is marked skipped. The shape is the
 * kubeconfig format's own (the product side's kubeconfig module reads it like any other file);
 * it is spelled out here because the local control plane imports nothing from the product side.
 */
export interface LocalKubeconfig {
  clusters: Array<{name: string; cluster: {server: string; 'insecure-skip-tls-verify': boolean}}>
  users: Array<{name: string; user: {token: string}}>
  contexts: Array<{name: string; context: {cluster: string; user: string}}>
  currentContext?: string
}

export function localKubeconfig(clusters: Array<Pick<ClusterRecord, 'name' | 'port'>>): LocalKubeconfig {
  return {
    clusters: clusters.map((c) => ({name: localContextName(c.name), cluster: {server: `http://127.0.0.1:${c.port}`, 'insecure-skip-tls-verify': true}})),
    users: [{name: 'mygate-local', user: {token: 'mygate-local'}}],
    contexts: clusters.map((c) => ({name: localContextName(c.name), context: {cluster: localContextName(c.name), user: 'mygate-local'}})),
    ...(clusters[0] ? {currentContext: localContextName(clusters[0].name)} : {}),
  }
}

/** Writes the daemon's own kubeconfig (every local cluster) atomically, mode 0600. */
export async function writeLocalKubeconfig(path: string, contents: LocalKubeconfig): Promise<void> {
  await mkdir(dirname(path), {recursive: true, mode: 0o700})
  const {currentContext, ...lists} = contents
  const document = {apiVersion: 'v1', kind: 'Config', preferences: {}, ...lists, 'current-context': currentContext ?? ''}
  await writeFileAtomic(path, stringify(document), 0o600)
}
