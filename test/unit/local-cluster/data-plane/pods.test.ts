import {describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../../src/kube/types.js'
import {PROBES} from '../../../../src/local-cluster/data-plane/jobs/contract.js'
import {newMember} from '../../../../src/local-cluster/data-plane/engine.js'
import {type ClusterView, resolveHost} from '../../../../src/local-cluster/data-plane/network.js'
import {launchMongod, mongodContainer} from '../../../../src/local-cluster/data-plane/pod/mongod-launch.js'
import {storeObjects} from '../../../../src/local-cluster/data-plane/pod/objects.js'
import {containerProcess, expandReferences} from '../../../../src/local-cluster/data-plane/pod/pod-spec.js'
import {evaluateProbe} from '../../../../src/local-cluster/data-plane/probes.js'
import {createObjectStore} from '../../../../src/local-cluster/store/index.js'
import {credentialsSecret, KEY, mongodStatefulSet, NAMESPACE} from '../../../helpers/data-plane.js'

const SECRETS = {group: '', resource: 'secrets'}
const PODS = {group: '', resource: 'pods'}
const SERVICES = {group: '', resource: 'services'}
const NAMESPACES = {group: '', resource: 'namespaces'}

function storeWith(...objects: KubeObject[]) {
  const store = createObjectStore()
  store.create(NAMESPACES, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACE}})
  for (const object of objects) {
    const ref = object.kind === 'Secret' ? SECRETS : object.kind === 'Service' ? SERVICES : PODS
    const created = store.create(ref, object)
    if (object.status) store.update(ref, {...created, status: object.status}, {subresource: 'status'})
  }
  return store
}

/** The pod the StatefulSet controller would create from a template. */
function podFrom(template: KubeObject, name = 'billing-db-0', patch: (spec: Record<string, unknown>) => void = () => undefined): KubeObject {
  const spec = structuredClone((template.spec as {template: {spec: Record<string, unknown>}}).template.spec)
  patch(spec)
  const volumes = (spec.volumes as Array<Record<string, unknown>>) ?? []
  volumes.push({name: 'data', persistentVolumeClaim: {claimName: `data-${name}`}})
  spec.volumes = volumes
  return {apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: NAMESPACE, labels: {'app.kubernetes.io/name': 'billing-db'}}, spec}
}

const launch = (pod: KubeObject, ...objects: KubeObject[]) => {
  const store = storeWith(credentialsSecret('billing-db'), ...objects)
  return launchMongod(pod, mongodContainer(pod)!, storeObjects(store))
}

const keyContainerPatch = (fn: (container: Record<string, unknown>, spec: Record<string, unknown>) => void) => (spec: Record<string, unknown>) => fn((spec.containers as Array<Record<string, unknown>>)[0], spec)

describe('mongod start: key file rules (security_file.cpp) and the image entrypoint', () => {
  test('the contract: key copied by an init container (install -m 0400) as the mongod user', () => {
    const result = launch(podFrom(mongodStatefulSet('billing-db')))
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.options).toEqual({replSet: 'billing-db', port: 27017, dbPath: '/data/db', bindAll: true, auth: true, keyFile: '/keyfile/key'})
    expect(result.rootUser).toEqual({user: 'root', password: 's3cret-pw'})
  })

  test.each([
    ['a Secret volume with fsGroup (0400 becomes 0440)', mongodStatefulSet('billing-db', {secretKeyFileMode: 0o400}), 'permissions on /secret/replica-set-key are too open'],
    ['a Secret volume with defaultMode 0600 and fsGroup', mongodStatefulSet('billing-db', {secretKeyFileMode: 0o600}), 'permissions on /secret/replica-set-key are too open'],
  ])('%s: mongod refuses, exit 1', (_name, sts, message) => {
    const result = launch(podFrom(sts))
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.exitCode).toBe(1)
    expect(result.lines.map((l) => l.attr)).toEqual([{error: {code: 30, codeName: 'InvalidPath', errmsg: message}}, {error: 'Location5579201: Unable to acquire security key[s]'}])
  })

  test('a root-owned 0400 Secret file without fsGroup: mongod (uid 999) cannot open it', () => {
    const pod = podFrom(mongodStatefulSet('billing-db', {secretKeyFileMode: 0o400}), 'billing-db-0', (spec) => {
      delete (spec.securityContext as Record<string, unknown>).fsGroup
    })
    const result = launch(pod)
    expect(!result.ok && result.lines[0].attr).toEqual({error: {code: 30, codeName: 'InvalidPath', errmsg: 'error opening file: /secret/replica-set-key: Permission denied'}})
  })

  test.each([
    ['sh -c "cp ... && chmod 0400 ..."', ['sh', '-c', 'cp /secret/replica-set-key /keyfile/key && chmod 0400 /keyfile/key'], undefined],
    ['cp alone keeps the group bits', ['cp', '/secret/replica-set-key', '/keyfile/key'], 'permissions on /keyfile/key are too open'],
    ['an init container that copies nothing', ['sh', '-c', 'echo hello'], 'Error reading file /keyfile/key: No such file or directory'],
    ['install into a directory keeps the file name', ['install', '-m', '0400', '/secret/replica-set-key', '/keyfile'], 'Error reading file /keyfile/key: No such file or directory'],
  ])('init container %s', (_name, command, problem) => {
    const pod = podFrom(mongodStatefulSet('billing-db'), 'billing-db-0', (spec) => {
      ;(spec.initContainers as Array<Record<string, unknown>>)[0].command = command
    })
    const result = launch(pod)
    if (problem === undefined) expect(result.ok).toBe(true)
    else expect(!result.ok && (result.lines[0]?.attr as {error: {errmsg: string}}).error.errmsg).toBe(problem)
  })

  test('a key with characters outside base64 is refused', () => {
    const secret = credentialsSecret('billing-db')
    ;(secret.stringData as Record<string, string>)['replica-set-key'] = 'not*base64*key'
    const store = storeWith(secret)
    const pod = podFrom(mongodStatefulSet('billing-db'))
    const result = launchMongod(pod, mongodContainer(pod)!, storeObjects(store))
    expect(!result.ok && (result.lines[0].attr as {error: {errmsg: string}}).error.errmsg).toBe('invalid char in key file /keyfile/key: *')
  })

  test('an unknown mongod option: exit 2 with mongod\'s message', () => {
    const result = launch(podFrom(mongodStatefulSet('billing-db'), 'billing-db-0', keyContainerPatch((c) => ((c.args as string[]).push('--replset', 'x')))))
    expect(result).toMatchObject({ok: false, exitCode: 2, stderr: ["Error parsing command line: unrecognised option '--replset'", "try 'mongod --help' for more information"]})
  })

  test('only one of the root user variables: the entrypoint exits 1', () => {
    const result = launch(podFrom(mongodStatefulSet('billing-db'), 'billing-db-0', keyContainerPatch((c) => ((c.env as unknown[]).splice(1, 1)))))
    expect(result).toMatchObject({ok: false, exitCode: 1})
    expect(!result.ok && result.stderr.join('\n')).toContain("error: missing 'MONGO_INITDB_ROOT_USERNAME' or 'MONGO_INITDB_ROOT_PASSWORD'")
  })

  test('command: [mongod, ...] bypasses the entrypoint: no root user, no --auth added, localhost only', () => {
    const result = launch(
      podFrom(mongodStatefulSet('billing-db', {withoutKeyFile: true}), 'billing-db-0', keyContainerPatch((c) => {
        c.command = ['mongod']
        c.args = ['--replSet', 'billing-db']
      })),
    )
    expect(result.ok && result.options).toEqual({replSet: 'billing-db', port: 27017, dbPath: '/data/db', bindAll: false, auth: false, keyFile: undefined})
    expect(result.ok && result.rootUser).toBeUndefined()
  })

  test.each([
    [{image: 'mongo:7.0', args: ['--replSet', 'x']}, ['mongod', '--replSet', 'x']],
    [{image: 'docker.io/library/mongo:7.0.12@sha256:abc', args: []}, ['mongod']],
    [{image: 'mongo:7.0', args: ['mongosh', '--quiet']}, ['mongosh', '--quiet']],
    [{image: 'mongo:7.0', command: ['docker-entrypoint.sh'], args: ['--port', '1']}, ['mongod', '--port', '1']],
    [{image: 'bitnami/mongodb:7.0', args: ['--replSet', 'x']}, ['--replSet', 'x']],
  ])('process of %j', (container, argv) => {
    expect(containerProcess({name: 'c', ...container}).argv).toEqual(argv)
  })

  test.each([
    ['--username=$(USER)', '--username=root'],
    ['$$(USER)', '$(USER)'],
    ['$(MISSING)', '$(MISSING)'],
  ])('$(VAR) in args: %s -> %s', (text, expected) => {
    expect(expandReferences(text, new Map([['USER', 'root']]))).toBe(expected)
  })

  test('the shared test key is valid base64 of a fitting length', () => {
    expect(KEY.length).toBeGreaterThanOrEqual(6)
  })
})

describe('probes of a mongod container', () => {
  const sts = mongodStatefulSet('billing-db')
  const container = (sts.spec as {template: {spec: {containers: Array<Record<string, unknown>>}}}).template.spec.containers[0] as never
  const options = {replSet: 'billing-db', port: 27017, dbPath: '/data/db', bindAll: true, auth: true}
  const member = (state: 'PRIMARY' | 'SECONDARY' | 'STARTUP' | 'RECOVERING', up = true) => ({...newMember('k', {cluster: 'c', namespace: 'n', pod: 'p', podUid: 'u'}, 'billing-db', 27017, 0), up, state})
  test.each([
    ['PRIMARY', true],
    ['SECONDARY', true],
    ['STARTUP', false],
    ['RECOVERING', false],
  ] as const)('readiness (the contract\'s exec probe) for %s: %s', (state, ok) => {
    expect(evaluateProbe('readiness', {exec: {command: [...PROBES.readiness]}, timeoutSeconds: 5}, container, options, member(state)).ok).toBe(ok)
  })

  test.each([
    ['another eval', {exec: {command: ['mongosh', '--eval', 'rs.status().ok']}, timeoutSeconds: 5}, /evaluates only the contract's readiness probe/],
    ['the default 1 s time-out', {exec: {command: [...PROBES.readiness]}}, /command timed out: mongosh did not finish within 1s/],
    ['httpGet', {httpGet: {port: 27017, path: '/'}}, /mongod does not speak HTTP/],
  ])('readiness fails with %s', (_name, probe, message) => {
    expect(evaluateProbe('readiness', probe, container, options, member('PRIMARY'))).toEqual({ok: false, message: expect.stringMatching(message)})
  })

  test('mongod on another port: the in-container probe reaches nothing on 27017', () => {
    expect(evaluateProbe('readiness', {exec: {command: [...PROBES.readiness]}, timeoutSeconds: 5}, container, {...options, port: 27018}, member('PRIMARY')).ok).toBe(false)
  })

  test('tcpSocket keeps meaning "the port is open"', () => {
    expect(evaluateProbe('readiness', {tcpSocket: {port: 'mongodb'}}, container, options, member('STARTUP')).ok).toBe(true)
    expect(evaluateProbe('readiness', {tcpSocket: {port: 'mongodb'}}, container, {...options, bindAll: false}, member('STARTUP')).ok).toBe(false)
  })
})

describe('host names (Kubernetes DNS and the clusterset)', () => {
  const pod = (name: string, ready: boolean, labels: Record<string, string> = {'app.kubernetes.io/name': 'billing-db'}, ip = '10.244.0.10'): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name, namespace: NAMESPACE, labels: {...labels, 'statefulset.kubernetes.io/pod-name': name}},
    spec: {hostname: name, subdomain: 'billing-db', containers: [{name: 'mongod', image: 'mongo:7.0', ports: [{name: 'mongodb', containerPort: 27017}]}]},
    status: {phase: 'Running', podIP: ip, conditions: [{type: 'Ready', status: ready ? 'True' : 'False'}]},
  })
  const headless = (publish: boolean): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {name: 'billing-db', namespace: NAMESPACE},
    spec: {clusterIP: 'None', publishNotReadyAddresses: publish, selector: {'app.kubernetes.io/name': 'billing-db'}, ports: [{port: 27017}]},
  })
  const perMember = (name: string, target: string, port = 27017): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {name, namespace: NAMESPACE},
    spec: {clusterIP: '10.96.0.20', publishNotReadyAddresses: true, selector: {'statefulset.kubernetes.io/pod-name': target}, ports: [{port, targetPort: 'mongodb'}]},
  })
  const view = (name: string, clusterSet: string, ...objects: KubeObject[]): ClusterView => ({name, clusterSet, store: storeWith(...objects), isDown: () => false})

  test.each([
    ['pod DNS under the headless Service', 'billing-db-0.billing-db.mygate-data.svc.cluster.local:27017', true, ['r1/billing-db-0:27017']],
    ['the same name, not Ready, published anyway', 'billing-db-0.billing-db.mygate-data.svc.cluster.local:27017', false, ['r1/billing-db-0:27017']],
    ['short name through the search path', 'billing-db-0.billing-db:27017', true, ['r1/billing-db-0:27017']],
    ['the headless Service name: every member', 'billing-db.mygate-data.svc.cluster.local:27017', true, ['r1/billing-db-0:27017', 'r1/billing-db-1:27017']],
  ])('%s', (_name, host, ready, expected) => {
    const r1 = view('r1', 'env', headless(true), pod('billing-db-0', ready), pod('billing-db-1', ready, undefined, '10.244.0.11'))
    const resolution = resolveHost(host, r1, NAMESPACE, [r1])
    expect(resolution.ok && resolution.endpoints.map((e) => `${e.cluster}/${e.pod.metadata.name}:${e.port}`)).toEqual(expected)
  })

  test('without publishNotReadyAddresses a member that is not Ready has no DNS record', () => {
    const r1 = view('r1', 'env', headless(false), pod('billing-db-0', false))
    expect(resolveHost('billing-db-0.billing-db.mygate-data.svc.cluster.local:27017', r1, NAMESPACE, [r1])).toEqual({ok: false, error: 'getaddrinfo ENOTFOUND billing-db-0.billing-db.mygate-data.svc.cluster.local'})
  })

  test('a ClusterIP Service maps its port to the named target port; another port is refused', () => {
    const r1 = view('r1', 'env', perMember('billing-db-r1-0', 'billing-db-0'), pod('billing-db-0', false))
    const ok = resolveHost('billing-db-r1-0.mygate-data.svc.cluster.local:27017', r1, NAMESPACE, [r1])
    expect(ok.ok && ok.endpoints.map((e) => e.port)).toEqual([27017])
    expect(resolveHost('billing-db-r1-0.mygate-data.svc.cluster.local:27018', r1, NAMESPACE, [r1])).toEqual({ok: false, error: 'connect ECONNREFUSED billing-db-r1-0.mygate-data.svc.cluster.local:27018'})
  })

  test('clusterset.local reaches the other region of the same environment, not another environment', () => {
    const r1 = view('demo-r1', 'demo', pod('billing-db-0', true))
    const r2 = view('demo-r2', 'demo', perMember('billing-db-r2-0', 'billing-db-0'), pod('billing-db-0', false))
    const other = view('other-r2', 'other', perMember('billing-db-x-0', 'billing-db-0'), pod('billing-db-0', true))
    const found = resolveHost('billing-db-r2-0.mygate-data.svc.clusterset.local:27017', r1, NAMESPACE, [r1, r2, other])
    expect(found.ok && found.endpoints.map((e) => e.cluster)).toEqual(['demo-r2'])
    expect(resolveHost('billing-db-x-0.mygate-data.svc.clusterset.local:27017', r1, NAMESPACE, [r1, r2, other])).toMatchObject({ok: false})
    // A cluster-local name never leaves its cluster.
    expect(resolveHost('billing-db-r2-0.mygate-data.svc.cluster.local:27017', r1, NAMESPACE, [r1, r2, other])).toMatchObject({ok: false})
  })
})
