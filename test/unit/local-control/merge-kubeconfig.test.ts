import {describe, expect, test} from 'vitest'

import {mergeKubeconfig, userKubeconfigPath} from '../../../src/local-control/merge-kubeconfig.js'

const config = (names: string[], current?: string) => ({
  clusters: names.map((n) => ({name: n, cluster: {server: `https://${n}`}})),
  users: names.map((n) => ({name: n, user: {token: n}})),
  contexts: names.map((n) => ({name: n, context: {cluster: n, user: n}})),
  ...(current ? {currentContext: current} : {}),
})

describe('mergeKubeconfig', () => {
  test('adds new entries, replaces same-named ones, keeps the current context', () => {
    const merged = mergeKubeconfig(config(['work', 'mygate-local-default'], 'work'), {
      ...config(['mygate-local-default', 'mygate-local-demo-local-1']),
      clusters: [{name: 'mygate-local-default', cluster: {server: 'http://127.0.0.1:1234'}}, {name: 'mygate-local-demo-local-1', cluster: {server: 'http://127.0.0.1:5678'}}],
    })
    expect(merged.contexts.map((c) => c.name)).toEqual(['work', 'mygate-local-default', 'mygate-local-demo-local-1'])
    expect(merged.clusters.find((c) => c.name === 'mygate-local-default')?.cluster.server).toBe('http://127.0.0.1:1234')
    expect(merged.currentContext).toBe('work')
  })

  test('an empty kubeconfig takes the local current context', () => {
    expect(mergeKubeconfig({clusters: [], users: [], contexts: []}, config(['a'], 'a')).currentContext).toBe('a')
  })
})

describe('userKubeconfigPath', () => {
  test('the first $KUBECONFIG entry wins', () => {
    expect(userKubeconfigPath({KUBECONFIG: '/a/config:/b/config'})).toBe('/a/config')
  })
  test('falls back to ~/.kube/config', () => {
    expect(userKubeconfigPath({})).toMatch(/\.kube\/config$/)
  })
})
