import {beforeAll, describe, expect, it} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import {TIERS, type Catalog} from '../../../src/catalog/types.js'
import {UsageError} from '../../../src/errors.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {renderEntryPoint} from '../../../src/render/entry-point.js'
import {renderEnvironment} from '../../../src/render/render-environment.js'
import {VALIDATED_KINDS, fieldPath, validateObjects} from '../../../src/render/validate.js'
import {testEnvironment} from '../../helpers/builders.js'
import {testPlatform} from './fixtures.js'

let bundled: Catalog
beforeAll(async () => {
  bundled = await loadCatalog()
})

async function validationError(objects: KubeObject[]): Promise<UsageError> {
  try {
    await validateObjects(objects)
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return error as UsageError
  }
  throw new Error('expected validation to fail')
}

describe('every manifest the renderer can produce passes the upstream schemas', () => {
  const cases = TIERS.flatMap((tier) => [false, true].map((mesh) => ({tier, mesh})))

  it.each(cases)('bundled catalog + baseline: tier $tier, mesh $mesh', async ({tier, mesh}) => {
    const {objects, baseline, byService} = await renderEnvironment({catalog: bundled, env: testEnvironment({tier, mesh})})
    // Every service is rendered, and so is the baseline.
    expect(Object.keys(byService).sort()).toEqual(bundled.services.map((s) => s.name).sort())
    expect(baseline.length).toBeGreaterThan(0)
    await expect(validateObjects(objects)).resolves.toBeUndefined()
    // Every kind the renderer produces in this configuration has a schema (none skipped).
    for (const object of objects) expect(VALIDATED_KINDS).toContain(`${object.apiVersion}/${object.kind}`)
  })

  it.each(cases)('test platform (every dependency shape): tier $tier, mesh $mesh', async ({tier, mesh}) => {
    const {objects} = await renderEnvironment({catalog: testPlatform(), env: testEnvironment({tier, mesh})})
    await expect(validateObjects(objects)).resolves.toBeUndefined()
  })

  it('covers every kind in the schema list across the matrix', async () => {
    const seen = new Set<string>()
    for (const tier of TIERS) {
      const {objects} = await renderEnvironment({catalog: bundled, env: testEnvironment({tier, mesh: true})})
      for (const object of objects) seen.add(`${object.apiVersion}/${object.kind}`)
    }
    // The gateway's entry point is rendered per region; gcp adds GKE's own kinds.
    for (const provider of ['local', 'aws', 'gcp'] as const) {
      const env = testEnvironment({provider, regions: {primary: 'r1'}})
      for (const object of await renderEntryPoint({catalog: bundled, env, region: 'r1', dnsName: 'app.example.com'})) seen.add(`${object.apiVersion}/${object.kind}`)
    }
    // Database operation Jobs are rendered by src/db/run-operation.ts when they run.
    seen.add('batch/v1/Job')
    expect([...seen].sort()).toEqual([...VALIDATED_KINDS].sort())
  })
})

describe('validateObjects rejects what the API server would', () => {
  async function deployment(): Promise<KubeObject> {
    const {byService} = await renderEnvironment({catalog: testPlatform(), env: testEnvironment(), includeBaseline: false})
    return structuredClone(byService.auth.find((o) => o.kind === 'Deployment')!)
  }

  it('names the object and the field of a string in replicas', async () => {
    const object = await deployment()
    ;(object.spec as {replicas: unknown}).replicas = '3'
    const error = await validationError([object])
    expect(error.message).toBe('rendered Deployment mygate/auth is invalid: spec.replicas must be integer')
  })

  it('reports a wrong type deep in the pod template with its path', async () => {
    const object = await deployment()
    const spec = object.spec as {template: {spec: {containers: Array<{ports: Array<{containerPort: unknown}>}>}}}
    spec.template.spec.containers[0].ports[0].containerPort = 'http'
    const error = await validationError([object])
    expect(error.message).toContain('spec.template.spec.containers[0].ports[0].containerPort')
  })

  it('checks CRDs against their published schemas', async () => {
    const {objects} = await renderEnvironment({catalog: testPlatform(), env: testEnvironment({mesh: true})})
    const peer = structuredClone(objects.find((o) => o.kind === 'PeerAuthentication')!)
    ;(peer.spec as {mtls: {mode: string}}).mtls.mode = 'STRICTEST'
    const error = await validationError([peer])
    expect(error.message).toContain('PeerAuthentication mygate/default')
    expect(error.message).toContain('spec.mtls.mode')
  })

  it('refuses a kind it has no schema for instead of skipping it', async () => {
    const error = await validationError([{apiVersion: 'example.com/v1', kind: 'Widget', metadata: {name: 'w', namespace: 'x'}}])
    expect(error.message).toContain('Widget x/w')
    expect(error.message).toContain('no schema known for example.com/v1/Widget')
  })

  it('collects every problem in details', async () => {
    const a = await deployment()
    const b = await deployment()
    ;(a.spec as {replicas: unknown}).replicas = 'one'
    ;(b.spec as {replicas: unknown}).replicas = 'two'
    const error = await validationError([a, b])
    expect(error.message).toContain('(and 1 more)')
    expect((error.details?.problems as unknown[]).length).toBe(2)
  })

  it('formats JSON pointers as field paths', () => {
    expect(fieldPath('/spec/template/spec/containers/0/ports')).toBe('spec.template.spec.containers[0].ports')
    expect(fieldPath('/metadata/labels/app.kubernetes.io~1name')).toBe('metadata.labels.app.kubernetes.io/name')
    expect(fieldPath('')).toBe('(object)')
  })
})
