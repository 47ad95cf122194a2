import {describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../../src/kube/types.js'
import {type Authenticates, serviceWriteShares} from '../../../../src/local-cluster/data-plane/write-targets.js'
import {createObjectStore} from '../../../../src/local-cluster/store/index.js'

const PODS = {group: '', resource: 'pods'}
const SECRETS = {group: '', resource: 'secrets'}

/** The simulated app logs in with its connection string's credentials; a refused pod writes nothing. */
describe('a simulated service authenticates to the set it writes to', () => {
  const setup = (user: string, password: string) => {
    const store = createObjectStore()
    store.create({group: '', resource: 'namespaces'}, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'mygate'}})
    const uri = `mongodb://${encodeURIComponent(user)}:${encodeURIComponent(password)}@visitors-db-r1-0.visitors-db-r1.mygate-data.svc.cluster.local:27017/visitors?replicaSet=visitors-db-r1&authSource=admin`
    store.create(SECRETS, {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'visitors-db-credentials', namespace: 'mygate'}, data: {uri: Buffer.from(uri).toString('base64')}} as KubeObject)
    store.create(PODS, {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'visitors-0', namespace: 'mygate', labels: {'app.kubernetes.io/name': 'visitors'}}, spec: {containers: [{name: 'app', image: 'x', env: [{name: 'MONGODB_URI', valueFrom: {secretKeyRef: {name: 'visitors-db-credentials', key: 'uri'}}}]}]}})
    return store
  }
  const seen: Array<[string, string, string]> = []
  const onlyNew: Authenticates = (set, user, password) => {
    seen.push([set, user, password])
    return user === 'new-user' && password === 'p@ss:new/1'
  }

  test.each<[string, string, string, Map<string, number>]>([
    ['the new environment\'s credentials', 'new-user', 'p@ss:new/1', new Map([['visitors-db-r1', 1]])],
    ['the old environment\'s password', 'new-user', 'old-password', new Map()],
    ['the old environment\'s user', 'old-user', 'p@ss:new/1', new Map()],
  ])('%s', (_what, user, password, shares) => {
    seen.length = 0
    expect(serviceWriteShares(setup(user, password), 'mygate', 'visitors', new Map(), onlyNew)).toEqual(shares)
    // The credentials are read from the URI as a driver decodes them (percent-encoding undone).
    expect(seen).toEqual([['visitors-db-r1', user, password]])
  })
})
