import {describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../../src/kube/types.js'
import {serviceWriteShares} from '../../../../src/local-cluster/data-plane/write-targets.js'
import {createObjectStore} from '../../../../src/local-cluster/store/index.js'

const PODS = {group: '', resource: 'pods'}
const SECRETS = {group: '', resource: 'secrets'}

function setup() {
  const store = createObjectStore()
  store.create({group: '', resource: 'namespaces'}, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'mygate'}})
  const secret = (set: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: 'visitors-db-credentials', namespace: 'mygate'},
    data: {uri: Buffer.from(`mongodb://u:p@${set}-0.${set}.mygate-data.svc.cluster.local:27017/visitors?replicaSet=${set}&authSource=admin`).toString('base64')},
  })
  let n = 0
  const pod = (env: unknown[] = [{name: 'MONGODB_URI', valueFrom: {secretKeyRef: {name: 'visitors-db-credentials', key: 'uri'}}}]): KubeObject =>
    store.create(PODS, {apiVersion: 'v1', kind: 'Pod', metadata: {name: `visitors-${n++}`, namespace: 'mygate', labels: {'app.kubernetes.io/name': 'visitors'}}, spec: {containers: [{name: 'app', image: 'x', env}]}})
  return {store, secret, pod}
}

describe('which set a simulated service writes to', () => {
  test('the set its pods connection string names, resolved once per pod (a Secret change needs new pods)', () => {
    const {store, secret, pod} = setup()
    store.create(SECRETS, secret('visitors-db'))
    pod()
    const resolved = new Map<string, string>()
    expect(serviceWriteShares(store, 'mygate', 'visitors', resolved)).toEqual(new Map([['visitors-db', 1]]))
    // The switch rewrites the Secret: the running pod keeps the value it started with...
    const current = store.getShared(SECRETS, 'mygate', 'visitors-db-credentials') as KubeObject
    store.update(SECRETS, {...current, data: secret('visitors-db-rk3x9').data})
    expect(serviceWriteShares(store, 'mygate', 'visitors', resolved)).toEqual(new Map([['visitors-db', 1]]))
    // ...and a pod started after it writes to the restored set.
    pod()
    expect(serviceWriteShares(store, 'mygate', 'visitors', resolved)).toEqual(new Map([['visitors-db', 0.5], ['visitors-db-rk3x9', 0.5]]))
  })

  test.each<[string, unknown[]]>([
    ['no MONGODB_URI', [{name: 'PORT', value: '8080'}]],
    ['a Secret that does not exist', [{name: 'MONGODB_URI', valueFrom: {secretKeyRef: {name: 'gone', key: 'uri'}}}]],
  ])('a pod with %s writes to SERVICE-db', (_what, env) => {
    const {store, pod} = setup()
    pod(env)
    expect(serviceWriteShares(store, 'mygate', 'visitors', new Map())).toEqual(new Map([['visitors-db', 1]]))
  })
})
