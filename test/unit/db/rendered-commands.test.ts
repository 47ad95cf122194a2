import {readFileSync} from 'node:fs'
import {beforeAll, describe, expect, test} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog} from '../../../src/catalog/types.js'
import {directConnection, replicaSetConnection} from '../../../src/db/connection.js'
import {DATABASE_OPS} from '../../../src/db/operations.js'
import {renderOpsConfigMap} from '../../../src/db/ops-configmap.js'
import {renderOperationJob} from '../../../src/db/run-operation.js'
import {renderStatusAllJob} from '../../../src/db/status-all.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {CONTRACT, PROBES} from '../../../src/local-cluster/data-plane/jobs/contract.js'
import {launchMongod, mongodContainer} from '../../../src/local-cluster/data-plane/pod/mongod-launch.js'
import {storeObjects} from '../../../src/local-cluster/data-plane/pod/objects.js'
import {parseConnectionString} from '../../../src/local-cluster/data-plane/programs/connection-string.js'
import {parseMongoshArgs} from '../../../src/local-cluster/data-plane/programs/options.js'
import {createObjectStore} from '../../../src/local-cluster/store/index.js'
import {packagePath} from '../../../src/package-root.js'
import {renderEnvironment, renderService} from '../../../src/render/render-environment.js'
import {validateObjects} from '../../../src/render/validate.js'
import {credentialsSecret, NAMESPACE} from '../../helpers/data-plane.js'
import {testEnvironment} from '../../helpers/builders.js'

/**
 * The rendered database manifests against the tools' documented options, as the local data plane
 * parses them (src/local-cluster/data-plane/programs/options.ts: mongosh's options from
 * https://www.mongodb.com/docs/mongodb-shell/reference/options/, mongod's from its reference) and
 * against the upstream Kubernetes schemas: a typo in a template fails here, not only on a cluster.
 */
type Obj = KubeObject & {spec: any} // eslint-disable-line @typescript-eslint/no-explicit-any

let catalog: Catalog
beforeAll(async () => {
  catalog = await loadCatalog()
})

const prod2 = () => testEnvironment({tier: 'prod', regions: {primary: 'r1', secondary: 'r2'}})

/** The pod the StatefulSet controller would create from the template (with its claim). */
function podFrom(set: Obj, name: string): KubeObject {
  const spec = structuredClone(set.spec.template.spec) as {volumes: unknown[]}
  spec.volumes.push({name: 'data', persistentVolumeClaim: {claimName: `data-${name}`}})
  return {apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: NAMESPACE, labels: set.spec.template.metadata.labels}, spec}
}

describe('the mongod StatefulSet as rendered', () => {
  test('every database: mongod starts with documented options, its key file and the root user from the entrypoint', async () => {
    for (const database of catalog.services.filter((s) => s.kind === 'mongodb')) {
      const set = (await renderService(database, prod2(), {catalog})).find((o) => o.kind === 'StatefulSet') as Obj
      const store = createObjectStore()
      store.create({group: '', resource: 'namespaces'}, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACE}})
      store.create({group: '', resource: 'secrets'}, credentialsSecret(database.name))
      const pod = podFrom(set, `${database.name}-0`)
      const launched = launchMongod(pod, mongodContainer(pod)!, storeObjects(store))
      expect(launched, database.name).toMatchObject({ok: true, options: {replSet: database.name, port: 27017, dbPath: '/data/db', bindAll: true, auth: true, keyFile: '/keyfile/key'}, rootUser: {user: 'root'}})
      const mongod = set.spec.template.spec.containers[0]
      expect(mongod.command).toBeUndefined()
      expect(mongod.readinessProbe.exec.command).toEqual(PROBES.readiness)
      expect(mongod.livenessProbe.exec.command).toEqual(PROBES.liveness)
      expect(mongod.readinessProbe.timeoutSeconds).toBeGreaterThanOrEqual(PROBES.minTimeoutSeconds)
      expect(mongod.livenessProbe.timeoutSeconds).toBeGreaterThanOrEqual(PROBES.minTimeoutSeconds)
      expect(set.spec.podManagementPolicy).toBe('Parallel')
      expect(mongod.env.map((e: {name: string}) => e.name)).toEqual(['MONGO_INITDB_ROOT_USERNAME', 'MONGO_INITDB_ROOT_PASSWORD'])
    }
  })

  test('two regions: one Service per member, labelled for its region, selecting its pod; one region: none', async () => {
    const billing = catalog.byName('billing-db')!
    const services = (await renderService(billing, prod2(), {catalog})).filter((o) => o.kind === 'Service' && o.metadata.name !== 'billing-db') as Obj[]
    expect(services.map((s) => [s.metadata.name, s.metadata.labels?.['mygate.dev/region'], s.spec.selector['statefulset.kubernetes.io/pod-name'], s.spec.publishNotReadyAddresses, s.spec.type])).toEqual(
      ['r1', 'r2'].flatMap((region) => [0, 1, 2].map((i) => [`billing-db-${region}-${i}`, region, `billing-db-${i}`, true, 'ClusterIP'])),
    )
    const one = await renderService(billing, testEnvironment({tier: 'prod'}), {catalog})
    expect(one.filter((o) => o.kind === 'Service').map((o) => o.metadata.name)).toEqual(['billing-db'])
  })

  test('on aws the member Services are internal load balancers (memberEndpoint annotations)', async () => {
    const env = testEnvironment({tier: 'prod', provider: 'aws', regions: {primary: 'ap-south-1', secondary: 'ap-south-2'}})
    const services = (await renderService(catalog.byName('billing-db')!, env, {catalog})).filter((o) => o.kind === 'Service' && o.metadata.name !== 'billing-db') as Obj[]
    expect(services).toHaveLength(6)
    for (const service of services) {
      expect(service.spec.type).toBe('LoadBalancer')
      expect(service.metadata.annotations?.['service.beta.kubernetes.io/aws-load-balancer-scheme']).toBe('internal')
    }
  })

  test('every rendered object of a two-region prod environment passes the upstream schemas', async () => {
    const {objects} = await renderEnvironment({catalog, env: prod2()})
    await expect(validateObjects(objects)).resolves.toBeUndefined()
    expect(objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mygate-db-ops')).toHaveLength(1)
  })
})

describe('the database Jobs as rendered', () => {
  const host = 'billing-db-0.billing-db.mygate-data.svc.cluster.local:27017'
  test.each(DATABASE_OPS.flatMap((op) => [
    [op, directConnection(host)],
    [op, replicaSetConnection('billing-db', [host, host.replace('-0', '-1')], {readPreference: 'primaryPreferred'})],
  ]))('%s over %s: documented mongosh options, a shipped script, a valid connection string, a valid Job', async (op, connection) => {
    const job = (await renderOperationJob(`dbop-billing-db-${op}-x`, {database: 'billing-db', op, params: {} as never, connection})) as Obj
    const container = job.spec.template.spec.containers[0]
    expect(container.command).toEqual(['mongosh'])
    const parsed = parseMongoshArgs(container.args)
    expect(parsed, JSON.stringify(parsed)).toMatchObject({ok: true})
    const script = String(container.args.at(-1)).replace('/ops/', '')
    expect(CONTRACT.scripts[script]).toBe(op)
    expect(parseConnectionString(connection)).toMatchObject({ok: true})
    expect(container.env.map((e: {name: string}) => e.name)).toEqual([CONTRACT.paramsEnv, CONTRACT.usernameEnv, CONTRACT.passwordEnv])
    await expect(validateObjects([job])).resolves.toBeUndefined()
  })

  test('status-all: mongosh --nodb with documented options and the shipped script; credentials only as Secret files, never the key file', async () => {
    const sets = ['billing-db', 'visitors-db'].map((database) => ({database, connection: replicaSetConnection(database, [`${database}-0.${database}.mygate-data.svc.cluster.local:27017`], {readPreference: 'primaryPreferred'}), appDatabase: database.replace(/-db$/, '')}))
    const job = (await renderStatusAllJob('dbop-all-status-all-x', {sets})) as Obj
    const pod = job.spec.template.spec
    const container = pod.containers[0]
    expect(container.command).toEqual(['mongosh'])
    expect(parseMongoshArgs(container.args)).toMatchObject({ok: true, parsed: {positional: []}})
    expect(container.args).toContain('--nodb')
    expect(CONTRACT.scripts[String(container.args.at(-1)).replace('/ops/', '')]).toBe('status-all')
    // Nothing secret in env: only the parameters, whose connection strings carry no credentials.
    expect(container.env).toEqual([{name: CONTRACT.paramsEnv, value: expect.any(String)}])
    const params = JSON.parse(container.env[0].value) as {sets: Array<{set: string; connection: string; credentials: string; database: string}>}
    expect(params.sets.map((s) => [s.set, s.credentials, s.database])).toEqual([
      ['billing-db', `${CONTRACT.credentialsDir}/billing-db`, 'billing'],
      ['visitors-db', `${CONTRACT.credentialsDir}/visitors-db`, 'visitors'],
    ])
    for (const set of params.sets) {
      const parsed = parseConnectionString(set.connection)
      expect(parsed).toMatchObject({ok: true})
      expect(parsed.ok && parsed.value.username).toBeFalsy()
    }
    expect(pod.securityContext).toMatchObject({runAsUser: 999, fsGroup: 999})
    const secretVolumes = pod.volumes.filter((v: {secret?: unknown}) => v.secret)
    expect(secretVolumes.map((v: {secret: {secretName: string; items: Array<{key: string}>; optional: boolean}}) => [v.secret.secretName, v.secret.items.map((i) => i.key), v.secret.optional])).toEqual([
      ['billing-db-credentials', [...CONTRACT.credentialFiles], true],
      ['visitors-db-credentials', [...CONTRACT.credentialFiles], true],
    ])
    expect(container.volumeMounts.map((m: {mountPath: string}) => m.mountPath)).toEqual(['/ops', `${CONTRACT.credentialsDir}/billing-db`, `${CONTRACT.credentialsDir}/visitors-db`])
    await expect(validateObjects([job])).resolves.toBeUndefined()
  })

  test('the ops ConfigMap holds every shipped script byte for byte', async () => {
    const configMap = (await renderOpsConfigMap()) as KubeObject & {data: Record<string, string>}
    expect(Object.keys(configMap.data).sort()).toEqual(Object.keys(CONTRACT.scripts).sort())
    for (const [name, text] of Object.entries(configMap.data)) expect(text).toBe(readFileSync(packagePath('templates', 'mongodb', 'ops', name), 'utf8'))
    await expect(validateObjects([configMap])).resolves.toBeUndefined()
  })
})
