import {beforeAll, describe, expect, it} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import {cpuMillicores, memoryBytes} from '../../../src/catalog/quantity.js'
import {TIERS, type Catalog, type Tier} from '../../../src/catalog/types.js'
import {NAMESPACES} from '../../../src/config/types.js'
import {NotFoundError} from '../../../src/errors.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {ROLLOUT_HEADROOM} from '../../../src/render/resource-policy.js'
import {KIND_ORDER, compareObjects} from '../../../src/kube/apply-order.js'
import {renderEnvironment, renderService} from '../../../src/render/render-environment.js'
import {testEnvironment, testService} from '../../helpers/builders.js'
import {catalogOf, testPlatform} from './fixtures.js'

// Rendered objects are walked by path here; their shapes are the schemas' business (validity.test.ts).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = KubeObject & {spec?: any}

const find = (objects: KubeObject[], kind: string, name: string, namespace?: string): Obj => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace))
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`)
  return found as Obj
}

let bundled: Catalog
beforeAll(async () => {
  bundled = await loadCatalog()
})

describe('label and naming contract', () => {
  it.each(TIERS)('holds on every object of the bundled catalog (%s, mesh on)', async (tier) => {
    const env = testEnvironment({name: 'contract', tier, mesh: true, versions: {auth: '9.9.9'}})
    const {objects} = await renderEnvironment({catalog: bundled, env})
    expect(objects.length).toBeGreaterThan(100)
    for (const object of objects) {
      const labels = object.metadata.labels ?? {}
      expect(labels['app.kubernetes.io/part-of'], `${object.kind}/${object.metadata.name}`).toBe('mygate')
      expect(labels['app.kubernetes.io/managed-by']).toBe('mygate')
      expect(labels['mygate.dev/environment']).toBe('contract')
      expect(labels['app.kubernetes.io/name']).toMatch(/^[a-z0-9-]+$/)
      expect(labels['app.kubernetes.io/version']).toMatch(/^[\w.-]+$/)
    }
    for (const service of bundled.services) {
      const isApp = service.kind === 'app'
      const namespace = isApp ? NAMESPACES.apps : NAMESPACES.data
      const workload = find(objects, isApp ? 'Deployment' : 'StatefulSet', service.name, namespace)
      const tag = service.name === 'auth' ? '9.9.9' : service.image.tag
      expect(workload.metadata.labels?.['app.kubernetes.io/version']).toBe(tag)
      expect(workload.spec.selector.matchLabels).toEqual({'app.kubernetes.io/name': service.name, 'mygate.dev/track': 'stable'})
      expect(workload.spec.template.metadata.labels).toMatchObject({'app.kubernetes.io/name': service.name, 'mygate.dev/track': 'stable'})
      const image = workload.spec.template.spec.containers[0].image
      expect(image).toBe(isApp ? `registry.mygate.dev/${service.image.repository}:${tag}` : `${service.image.repository}:${tag}`)
      expect(find(objects, 'Service', service.name, namespace).spec.selector).toEqual({'app.kubernetes.io/name': service.name})
    }
  })

  it('runs every pod as non-root with the restricted security context, secrets only by reference', async () => {
    const {objects} = await renderEnvironment({catalog: bundled, env: testEnvironment({tier: 'prod'})})
    const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet') as Obj[]
    expect(workloads).toHaveLength(bundled.services.length)
    for (const workload of workloads) {
      const pod = workload.spec.template.spec
      expect(pod.securityContext).toMatchObject({runAsNonRoot: true, seccompProfile: {type: 'RuntimeDefault'}})
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0)
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({allowPrivilegeEscalation: false, capabilities: {drop: ['ALL']}, readOnlyRootFilesystem: true})
        for (const entry of container.env ?? []) {
          expect(entry.value, `${workload.metadata.name} ${entry.name}`).toBeUndefined()
          // A Secret by reference, or the pod's own name from the Downward API (Redis' entrypoint).
          if (entry.valueFrom.fieldRef) expect(entry.valueFrom.fieldRef).toEqual({fieldPath: 'metadata.name'})
          else expect(entry.valueFrom.secretKeyRef.name).toEqual(expect.any(String))
        }
      }
    }
    // Every secret is an env reference, except the MongoDB replica-set keys: mongod reads those as a --keyFile.
    const secretRefs = bundled.services.reduce((n, s) => n + s.secrets.filter((secret) => secret.generate !== 'mongodb-keyfile').length, 0)
    expect(workloads.reduce((n, w) => n + (w.spec.template.spec.containers[0].env ?? []).filter((e: {valueFrom: {secretKeyRef?: unknown}}) => e.valueFrom.secretKeyRef).length, 0)).toBe(secretRefs)
    expect(JSON.stringify(objects)).not.toContain('MONGO_REPLICA_SET_KEY')
  })

  it('defines each ServiceAccount exactly once, with a Role and RoleBinding limited to its own ConfigMap', async () => {
    const {objects} = await renderEnvironment({catalog: bundled, env: testEnvironment()})
    const apps = bundled.services.filter((s) => s.kind === 'app')
    expect(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name).sort()).toEqual(apps.map((s) => s.name).sort())
    for (const app of apps) {
      const role = find(objects, 'Role', app.name, NAMESPACES.apps) as Obj & {rules: unknown}
      expect(role.rules).toEqual([{apiGroups: [''], resources: ['configmaps'], resourceNames: [app.name], verbs: ['get', 'watch']}])
      const binding = find(objects, 'RoleBinding', app.name, NAMESPACES.apps) as Obj & {subjects: unknown}
      expect(binding.subjects).toEqual([{kind: 'ServiceAccount', name: app.name, namespace: NAMESPACES.apps}])
      expect(find(objects, 'Deployment', app.name).spec.template.spec.serviceAccountName).toBe(app.name)
    }
    expect(objects.some((o) => o.kind.startsWith('Cluster'))).toBe(false)
  })

  it('sorts objects by kind order, then namespace and name, the same on every run', async () => {
    const env = testEnvironment({tier: 'staging', mesh: true})
    const first = await renderEnvironment({catalog: bundled, env})
    const second = await renderEnvironment({catalog: bundled, env})
    expect(JSON.stringify(first.objects)).toBe(JSON.stringify(second.objects))
    for (let i = 1; i < first.objects.length; i++) expect(compareObjects(first.objects[i - 1], first.objects[i])).toBeLessThan(0)
    expect(first.objects[0].kind).toBe('Namespace')
    const kinds = new Set(first.objects.map((o) => o.kind))
    for (const kind of kinds) expect(KIND_ORDER as readonly string[]).toContain(kind)
  })
})

describe('what each tier and the mesh switch on', () => {
  const platform = testPlatform()

  it('adds an HPA only where the tier autoscales and a PDB only with more than one replica', async () => {
    const dev = await renderService(platform.byName('auth')!, testEnvironment({tier: 'dev'}), {catalog: platform})
    expect(dev.map((o) => o.kind)).not.toContain('HorizontalPodAutoscaler')
    expect(dev.map((o) => o.kind)).not.toContain('PodDisruptionBudget')
    const prod = await renderService(platform.byName('auth')!, testEnvironment({tier: 'prod'}), {catalog: platform})
    const hpa = find(prod, 'HorizontalPodAutoscaler', 'auth') 
    expect(hpa.apiVersion).toBe('autoscaling/v2')
    expect(hpa.spec).toMatchObject({minReplicas: 2, maxReplicas: 6, scaleTargetRef: {kind: 'Deployment', name: 'auth'}})
    expect(find(prod, 'PodDisruptionBudget', 'auth').spec.selector.matchLabels).toEqual({'app.kubernetes.io/name': 'auth'})
    // billing has no autoscaling bounds: no HPA even in prod.
    const billing = await renderService(platform.byName('billing')!, testEnvironment({tier: 'prod'}), {catalog: platform})
    expect(billing.map((o) => o.kind)).not.toContain('HorizontalPodAutoscaler')
  })

  it('renders the MongoDB replica set with one member in dev and three in prod, with volume claims', async () => {
    for (const [tier, members, storage] of [['dev', 1, '1Gi'], ['prod', 3, '50Gi']] as const) {
      const objects = await renderService(platform.byName('auth-db')!, testEnvironment({tier}), {catalog: platform})
      const set = find(objects, 'StatefulSet', 'auth-db', NAMESPACES.data)
      expect(set.spec.replicas).toBe(members)
      expect(set.spec.serviceName).toBe('auth-db')
      expect(set.spec.template.spec.containers[0].args).toEqual(['--replSet', 'auth-db', '--bind_ip_all', '--port', '27017', '--dbpath', '/data/db', '--keyFile', '/keyfile/key'])
      expect(set.spec.updateStrategy).toEqual({type: 'OnDelete'})
      expect(set.spec.template.spec.initContainers[0].command).toEqual(['install', '-m', '0400', '/secret/replica-set-key', '/keyfile/key'])
      expect(set.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(storage)
      expect(find(objects, 'Service', 'auth-db', NAMESPACES.data).spec.clusterIP).toBe('None')
    }
  })

  it('renders Istio DestinationRule and VirtualService only with the mesh', async () => {
    const off = await renderEnvironment({catalog: platform, env: testEnvironment({mesh: false})})
    expect(off.objects.filter((o) => o.apiVersion.includes('istio.io'))).toEqual([])
    const on = await renderEnvironment({catalog: platform, env: testEnvironment({mesh: true})})
    const rule = find(on.objects, 'DestinationRule', 'auth')
    expect(rule.apiVersion).toBe('networking.istio.io/v1beta1')
    expect(rule.spec.subsets).toEqual([
      {name: 'stable', labels: {'mygate.dev/track': 'stable'}},
      {name: 'canary', labels: {'mygate.dev/track': 'canary'}},
    ])
    const route = find(on.objects, 'VirtualService', 'auth').spec.http[0].route
    expect(route.map((r: {destination: {subset: string}; weight: number}) => [r.destination.subset, r.weight])).toEqual([['stable', 100], ['canary', 0]])
    const peer = on.objects.filter((o) => o.kind === 'PeerAuthentication') as Obj[]
    expect(peer.map((p) => [p.metadata.namespace, p.spec.mtls.mode])).toEqual([[NAMESPACES.apps, 'STRICT'], [NAMESPACES.data, 'STRICT']])
    expect(find(on.objects, 'Namespace', NAMESPACES.apps).metadata.labels?.['istio-injection']).toBe('enabled')
    expect(find(off.objects, 'Namespace', NAMESPACES.apps).metadata.labels?.['istio-injection']).toBeUndefined()
  })

  it('gives every namespace Pod Security restricted labels and a default-deny policy', async () => {
    const {baseline} = await renderEnvironment({catalog: platform, env: testEnvironment()})
    for (const ns of Object.values(NAMESPACES)) {
      const labels = find(baseline, 'Namespace', ns).metadata.labels ?? {}
      for (const mode of ['enforce', 'audit', 'warn']) expect(labels[`pod-security.kubernetes.io/${mode}`]).toBe('restricted')
      expect(find(baseline, 'NetworkPolicy', 'default-deny', ns).spec).toEqual({podSelector: {}, policyTypes: ['Ingress', 'Egress']})
      expect(find(baseline, 'NetworkPolicy', 'allow-dns', ns).spec.egress[0].ports).toEqual([{protocol: 'UDP', port: 53}, {protocol: 'TCP', port: 53}])
    }
  })

  it('opens exactly the network paths a service needs', async () => {
    const {objects} = await renderEnvironment({catalog: platform, env: testEnvironment()})
    const billing = find(objects, 'NetworkPolicy', 'billing', NAMESPACES.apps).spec
    // Called by the gateway (which depends on it) only.
    expect(billing.ingress).toEqual([{from: [{podSelector: {matchLabels: {'app.kubernetes.io/name': 'gateway'}}}], ports: [{protocol: 'TCP', port: 9090}]}])
    const data = {namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': NAMESPACES.data}}}
    expect(billing.egress).toEqual([
      {to: [{...data, podSelector: {matchLabels: {'app.kubernetes.io/name': 'billing-db'}}}], ports: [{protocol: 'TCP', port: 27017}]},
      {to: [{...data, podSelector: {matchLabels: {'app.kubernetes.io/name': 'redis'}}}], ports: [{protocol: 'TCP', port: 6379}]},
      {to: [{podSelector: {matchLabels: {'app.kubernetes.io/name': 'auth'}}}], ports: [{protocol: 'TCP', port: 8080}]},
      {to: [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': 'kube-system'}}}], ports: [{protocol: 'UDP', port: 53}, {protocol: 'TCP', port: 53}]},
    ])
    // The gateway is reachable from anywhere: no `from`.
    expect(find(objects, 'NetworkPolicy', 'gateway', NAMESPACES.apps).spec.ingress).toEqual([{ports: [{protocol: 'TCP', port: 8080}]}])
    // auth is called by gateway and billing.
    const authFrom = find(objects, 'NetworkPolicy', 'auth', NAMESPACES.apps).spec.ingress[0].from
    expect(authFrom.map((p: {podSelector: {matchLabels: Record<string, string>}}) => p.podSelector.matchLabels['app.kubernetes.io/name']).sort()).toEqual(['billing', 'gateway'])
    // A database accepts its own members and the app that owns it.
    const dbFrom = find(objects, 'NetworkPolicy', 'billing-db', NAMESPACES.data).spec.ingress[0].from
    expect(dbFrom).toEqual([
      {podSelector: {matchLabels: {'app.kubernetes.io/name': 'billing-db'}}},
      {namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': NAMESPACES.apps}}, podSelector: {matchLabels: {'app.kubernetes.io/name': 'billing'}}},
    ])
  })
})

describe('service selection', () => {
  it('renders only the named services and keeps the baseline sized from the whole catalog', async () => {
    const platform = testPlatform()
    const env = testEnvironment({tier: 'prod'})
    const all = await renderEnvironment({catalog: platform, env})
    const one = await renderEnvironment({catalog: platform, env, services: ['billing']})
    expect(Object.keys(one.byService)).toEqual(['billing'])
    expect(one.baseline.filter((o) => o.kind === 'PrometheusRule').map((o) => o.metadata.name)).toEqual(['billing'])
    expect(find(one.baseline, 'ResourceQuota', 'mygate-quota', NAMESPACES.apps)).toEqual(find(all.baseline, 'ResourceQuota', 'mygate-quota', NAMESPACES.apps))
    const without = await renderEnvironment({catalog: platform, env, services: ['billing'], includeBaseline: false})
    expect(without.baseline).toEqual([])
    expect(without.objects).toEqual(one.byService.billing)
  })

  it('fails with NotFoundError listing the known names for an unknown service', async () => {
    const platform = testPlatform()
    const failure = renderEnvironment({catalog: platform, env: testEnvironment(), services: ['billing', 'nope']})
    await expect(failure).rejects.toBeInstanceOf(NotFoundError)
    await expect(failure).rejects.toThrow(/unknown service "nope".*gateway/)
  })
})

describe('resource quota fits what the renderer produces', () => {
  const quotaOf = (objects: KubeObject[], ns: string) => find(objects, 'ResourceQuota', 'mygate-quota', ns).spec.hard as Record<string, string>

  function renderedDemand(objects: KubeObject[], ns: string) {
    const total = {cpu: 0, memory: 0, limitsCpu: 0, limitsMemory: 0, pods: 0, storage: 0}
    for (const workload of objects.filter((o) => o.metadata.namespace === ns && (o.kind === 'Deployment' || o.kind === 'StatefulSet')) as Obj[]) {
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === workload.metadata.name) as Obj | undefined
      const most = Math.max(workload.spec.replicas, hpa?.spec.maxReplicas ?? 0)
      // A Deployment may run a full second copy during a blue-green or canary rollout.
      const pods = workload.kind === 'Deployment' ? most * ROLLOUT_HEADROOM : most
      total.pods += pods
      for (const container of workload.spec.template.spec.containers) {
        total.cpu += pods * cpuMillicores(container.resources.requests.cpu)
        total.memory += pods * memoryBytes(container.resources.requests.memory)
        total.limitsCpu += pods * cpuMillicores(container.resources.limits.cpu)
        total.limitsMemory += pods * memoryBytes(container.resources.limits.memory)
      }
      for (const claim of workload.spec.volumeClaimTemplates ?? []) total.storage += workload.spec.replicas * memoryBytes(claim.spec.resources.requests.storage)
    }
    return total
  }

  it.each(TIERS)('covers requests, limits, pods and storage with rollout headroom (%s)', async (tier: Tier) => {
    const {objects} = await renderEnvironment({catalog: bundled, env: testEnvironment({tier, mesh: tier === 'prod'})})
    for (const ns of [NAMESPACES.apps, NAMESPACES.data]) {
      const hard = quotaOf(objects, ns)
      const demand = renderedDemand(objects, ns)
      expect(demand.pods).toBeGreaterThan(0)
      expect(cpuMillicores(hard['requests.cpu'])).toBeGreaterThanOrEqual(demand.cpu)
      expect(memoryBytes(hard['requests.memory'])).toBeGreaterThanOrEqual(demand.memory)
      expect(cpuMillicores(hard['limits.cpu'])).toBeGreaterThanOrEqual(demand.limitsCpu)
      expect(memoryBytes(hard['limits.memory'])).toBeGreaterThanOrEqual(demand.limitsMemory)
      expect(Number(hard.pods)).toBeGreaterThanOrEqual(demand.pods)
      if (ns === NAMESPACES.data) expect(memoryBytes(hard['requests.storage'])).toBeGreaterThanOrEqual(demand.storage)
    }
    // Every container fits under the LimitRange maximum of its namespace.
    for (const ns of [NAMESPACES.apps, NAMESPACES.data]) {
      const max = find(objects, 'LimitRange', 'mygate-limits', ns).spec.limits[0].max
      for (const workload of objects.filter((o) => o.metadata.namespace === ns && 'spec' in o && (o as Obj).spec?.template) as Obj[]) {
        for (const container of workload.spec.template.spec.containers) {
          expect(cpuMillicores(container.resources.limits.cpu)).toBeLessThanOrEqual(cpuMillicores(max.cpu))
          expect(memoryBytes(container.resources.limits.memory)).toBeLessThanOrEqual(memoryBytes(max.memory))
        }
      }
    }
  })

  it('grows dev < staging < prod', async () => {
    const hards = await Promise.all(
      TIERS.map(async (tier) => quotaOf((await renderEnvironment({catalog: bundled, env: testEnvironment({tier})})).baseline, NAMESPACES.apps)),
    )
    for (const key of ['requests.cpu', 'limits.cpu']) {
      const [dev, staging, prod] = hards.map((h) => cpuMillicores(h[key]))
      expect(dev).toBeLessThan(staging)
      expect(staging).toBeLessThan(prod)
    }
    for (const key of ['requests.memory', 'limits.memory']) {
      const [dev, staging, prod] = hards.map((h) => memoryBytes(h[key]))
      expect(dev).toBeLessThan(staging)
      expect(staging).toBeLessThan(prod)
    }
  })

  it('grows with the catalog beyond the tier floor', async () => {
    const big = catalogOf(Array.from({length: 60}, (_, i) => testService({name: `svc-${i}`})))
    const {baseline} = await renderEnvironment({catalog: big, env: testEnvironment({tier: 'prod'})})
    // 60 services x 6 pods (HPA max) x 2 headroom = 720 pods, above the prod floor of 400.
    expect(Number(quotaOf(baseline, NAMESPACES.apps).pods)).toBe(720)
  })
})
