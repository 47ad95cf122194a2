import {mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, test} from 'vitest'
import {stringify} from 'yaml'

import {createKubeconfigProvider} from '../../../src/providers/kubeconfig/index.js'
import {readKubeconfigFile} from '../../../src/kube/kubeconfig/files.js'
import {testEnvironment} from '../../helpers/builders.js'

let dir: string
let home: string
let userFile: string
const progress = {update() {}}

const kubeconfig = (names: string[], server = 'https://k8s.example:6443') =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: names.map((name) => ({name: `${name}-cluster`, cluster: {server: `${server}/${name}`, 'certificate-authority': `certs/${name}.crt`}})),
    users: names.map((name) => ({name: `${name}-user`, user: {'client-certificate': `certs/${name}-user.crt`, 'client-key': '/abs/key.pem'}})),
    contexts: names.map((name) => ({name, context: {cluster: `${name}-cluster`, user: `${name}-user`, namespace: 'default'}})),
    'current-context': names[0],
  })

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mygate-kc-'))
  home = join(dir, 'mygate-home')
  userFile = join(dir, 'config')
  await writeFile(userFile, kubeconfig(['kind-east', 'kind-west', 'minikube']))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

const provider = () => createKubeconfigProvider({processEnv: {MYGATE_HOME: home, KUBECONFIG: userFile}})
const env = (overrides: Parameters<typeof testEnvironment>[0] = {}) =>
  testEnvironment({name: 'team', provider: 'kubeconfig', regions: {primary: 'east'}, context: 'kind-east', ...overrides})

describe('kubeconfig provider', () => {
  test('an unknown context is a UsageError listing the known ones', async () => {
    const error = await provider().validate(env({context: 'kind-nope'})).catch((caught) => caught)
    expect(error).toMatchObject({name: 'UsageError', message: `context "kind-nope" is not in kubeconfig ${userFile}`})
    expect(error.hint).toBe('use one of kind-east, kind-west, minikube')
  })

  test.each([
    [{context: undefined}, /names no context/],
    [{regions: {primary: 'east', secondary: 'west'}}, /has a secondary region \(west\) but --context names one context/],
    [{context: 'kind-east,kind-west'}, /names two contexts but the environment has no secondary region/],
    [{context: 'kind-east,kind-east', regions: {primary: 'east', secondary: 'west'}}, /same context for both regions/],
    [{context: 'kind-east,'}, /is not CONTEXT or PRIMARY_CONTEXT,SECONDARY_CONTEXT/],
  ])('context spec %o is refused', async (overrides, message) => {
    await expect(provider().validate(env(overrides))).rejects.toMatchObject({name: 'UsageError', message: expect.stringMatching(message)})
  })

  test('ensureClusters maps each region to its context, creating nothing', async () => {
    const two = env({context: 'kind-east,kind-west', regions: {primary: 'east', secondary: 'west'}})
    const handles = await provider().ensureClusters(two, progress)
    expect(handles).toEqual([
      {region: 'east', role: 'primary', clusterName: 'kind-east-cluster', endpoint: 'https://k8s.example:6443/kind-east', context: 'kind-east'},
      {region: 'west', role: 'secondary', clusterName: 'kind-west-cluster', endpoint: 'https://k8s.example:6443/kind-west', context: 'kind-west'},
    ])
  })

  test('writeKubeconfig copies just those contexts under MYGATE_HOME, leaving the user file untouched', async () => {
    const before = await readFile(userFile, 'utf8')
    const two = env({context: 'kind-east,kind-west', regions: {primary: 'east', secondary: 'west'}})
    const p = provider()
    const ref = await p.writeKubeconfig(two, await p.ensureClusters(two, progress))
    expect(ref).toEqual({path: join(home, 'kubeconfig', 'team.yaml'), contexts: {east: 'kind-east', west: 'kind-west'}})
    expect((await stat(ref.path)).mode & 0o777).toBe(0o600)
    const copy = await readKubeconfigFile(ref.path)
    expect(copy.contexts.map((context) => context.name)).toEqual(['kind-east', 'kind-west'])
    expect(copy.clusters.map((cluster) => cluster.name)).toEqual(['kind-east-cluster', 'kind-west-cluster'])
    expect(copy.users.map((user) => user.name)).toEqual(['kind-east-user', 'kind-west-user'])
    expect(copy.currentContext).toBe('kind-east')
    // Relative file references still point at the user's files from the new location.
    expect(copy.clusters[0].cluster['certificate-authority']).toBe(join(dir, 'certs', 'kind-east.crt'))
    expect(copy.users[0].user['client-certificate']).toBe(join(dir, 'certs', 'kind-east-user.crt'))
    expect(copy.users[0].user['client-key']).toBe('/abs/key.pem')
    expect(await readFile(userFile, 'utf8')).toBe(before)
  })

  test('$KUBECONFIG lists merge as kubectl does: the first file defining a name wins, missing files are skipped', async () => {
    const second = join(dir, 'second')
    await writeFile(second, kubeconfig(['kind-east', 'extra'], 'https://second.example'))
    const merged = createKubeconfigProvider({processEnv: {MYGATE_HOME: home, KUBECONFIG: [join(dir, 'missing'), userFile, second].join(':')}})
    const [east] = await merged.ensureClusters(env(), progress)
    expect(east.endpoint).toBe('https://k8s.example:6443/kind-east')
    const [extra] = await merged.ensureClusters(env({context: 'extra'}), progress)
    expect(extra.endpoint).toBe('https://second.example/extra')
  })

  test('an explicit kubeconfig file that does not exist is a UsageError', async () => {
    await expect(provider().validate(env({kubeconfig: join(dir, 'nope.yaml')}))).rejects.toMatchObject({
      name: 'UsageError',
      message: `kubeconfig ${join(dir, 'nope.yaml')} does not exist`,
    })
  })

  test('destroyClusters deletes nothing and reports the clusters as user-owned', async () => {
    const report = await provider().destroyClusters(env(), progress)
    expect(report).toEqual({
      removed: [],
      leftBehind: [],
      kept: [{resource: 'cluster of kubeconfig context kind-east', reason: 'user-owned: the kubeconfig provider never deletes clusters'}],
    })
  })

  test('the file writer leaves no temporary files behind', async () => {
    const p = provider()
    await p.writeKubeconfig(env(), await p.ensureClusters(env(), progress))
    await p.writeKubeconfig(env(), await p.ensureClusters(env(), progress))
    expect(await readdir(join(home, 'kubeconfig'))).toEqual(['team.yaml'])
  })
})
