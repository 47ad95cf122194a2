import {describe, expect, test} from 'vitest'

import {renderRestoredSet, restoredDescriptor, restoredSetCredentials, restoredSetTopology} from '../../../src/backup/restore/restored-set.js'
import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {ServiceDescriptor} from '../../../src/catalog/types.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {renderService} from '../../../src/render/render-environment.js'
import {validateObjects} from '../../../src/render/validate.js'
import {testEnvironment} from '../../helpers/builders.js'

/** The restored set is the live database's templates under another name, namespace and Secret. */
describe('a restored set rendered from templates/mongodb/', () => {
  const env = testEnvironment({tier: 'prod'})

  test('the same objects as the live set, renamed; schema-valid; its own credentials; restore Jobs admitted', async () => {
    const catalog = await loadCatalog()
    const live = catalog.byName('visitors-db') as ServiceDescriptor
    const objects = await renderRestoredSet({database: live, set: 'visitors-db-r1', namespace: 'mygate-verify-a1b2c3', backupId: '20261203T070000Z-visitors-A1B2C3'}, env, catalog)
    await validateObjects(objects)
    const liveObjects = await renderService(live, env, {catalog})
    // All but the weekly verification's policy: that Job reads the bucket, never a restored set.
    const expected = liveObjects.filter((o) => o.metadata.name !== 'visitors-db-backup-verify')
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(expected.map((o) => `${o.kind}/${String(o.metadata.name).replace('visitors-db', 'visitors-db-r1')}`).sort())
    for (const o of objects) {
      expect(o.metadata.namespace).toBe('mygate-verify-a1b2c3')
      expect(o.metadata.labels).toMatchObject({'mygate.dev/restored-set': 'visitors-db-r1', 'mygate.dev/restored-from': '20261203t070000z-visitors-a1b2c3', 'app.kubernetes.io/name': 'visitors-db-r1'})
    }
    const sts = objects.find((o) => o.kind === 'StatefulSet') as KubeObject & {spec: {replicas: number; template: {spec: {containers: Array<{image: string; args: string[]; env: Array<{valueFrom: {secretKeyRef: {name: string}}}>}>; volumes: Array<{secret?: {secretName: string}}>}}}}
    const liveSts = liveObjects.find((o) => o.kind === 'StatefulSet') as typeof sts
    expect(sts.spec.replicas).toBe(3)
    expect(sts.spec.template.spec.containers[0].image).toBe(liveSts.spec.template.spec.containers[0].image)
    expect(sts.spec.template.spec.containers[0].args.slice(0, 2)).toEqual(['--replSet', 'visitors-db-r1'])
    const secretsUsed = [...sts.spec.template.spec.containers[0].env.map((e) => e.valueFrom.secretKeyRef.name), ...sts.spec.template.spec.volumes.flatMap((v) => (v.secret ? [v.secret.secretName] : []))]
    expect(new Set(secretsUsed)).toEqual(new Set(['visitors-db-r1-credentials']))
    // Its restore Job's pods are let in (labelled with the target set by templates/backup/restore-job.yaml).
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'visitors-db-r1') as KubeObject & {spec: {ingress: Array<{from: unknown[]}>}}
    expect(policy.spec.ingress.flatMap((rule) => rule.from)).toContainEqual({podSelector: {matchLabels: {'app.kubernetes.io/component': 'backup', 'mygate.dev/target-set': 'visitors-db-r1'}}})
    expect(objects.some((o) => o.kind === 'PodDisruptionBudget')).toBe(true)
    const one = await renderRestoredSet({database: live, set: 'visitors-db-r1', namespace: 'x', backupId: 'b', replicas: 1}, env, catalog)
    expect(one.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false)
  })

  test('members through the set headless Service in its namespace, one region, all voting', async () => {
    const catalog = await loadCatalog()
    const live = catalog.byName('visitors-db') as ServiceDescriptor
    const topology = restoredSetTopology({database: live, set: 'visitors-db-r1', namespace: 'ns1'}, testEnvironment({tier: 'staging', regions: {primary: 'r1', secondary: 'r2'}}))
    expect(topology.members.map((m) => [m.host, m.region, m.votes])).toEqual([0, 1, 2].map((i) => [`visitors-db-r1-${i}.visitors-db-r1.ns1.svc.cluster.local:27017`, 'r1', 1]))
    expect(restoredDescriptor(live, 'visitors-db-r1').secrets.map((s) => s.secretName)).toEqual(['visitors-db-r1-credentials', 'visitors-db-r1-credentials', 'visitors-db-r1-credentials'])
    expect(restoredSetCredentials({set: 'visitors-db-r1', namespace: 'ns1', backupId: 'b'}, {username: 'u', password: 'p', keyFile: 'k'})).toMatchObject({metadata: {name: 'visitors-db-r1-credentials', namespace: 'ns1'}, stringData: {'root-username': 'u', 'root-password': 'p', 'replica-set-key': 'k'}})
  })
})
