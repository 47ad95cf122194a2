import {describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../src/kube/types.js'
import {renderEntryPoint} from '../../../src/render/entry-point.js'
import {renderService} from '../../../src/render/render-environment.js'
import {validateObjects} from '../../../src/render/validate.js'
import {testEnvironment} from '../../helpers/builders.js'
import {testPlatform} from './fixtures.js'

const catalog = testPlatform()
const ARN = 'arn:aws:acm:ap-south-2:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-123456789012'
const ACL = 'arn:aws:wafv2:ap-south-2:123456789012:regional/webacl/mygate/1234abcd'

const kinds = (objects: KubeObject[]) => objects.map((o) => `${o.apiVersion}/${o.kind}`)
const ingressOf = (objects: KubeObject[]) => objects.find((o) => o.kind === 'Ingress')!
const annotations = (object: KubeObject) => object.metadata.annotations ?? {}

describe('the gateway entry point per region', () => {
  test('aws: an internet-facing ALB with IP targets, the region\'s ACM certificate and its WAF', async () => {
    const env = testEnvironment({provider: 'aws', regions: {primary: 'ap-south-1', secondary: 'ap-south-2'}, entry: {'ap-south-2': {tls: {certificateArn: ARN}, waf: {webAclArn: ACL}}}})
    const objects = await renderEntryPoint({catalog, env, region: 'ap-south-2', dnsName: 'app.example.com'})
    await validateObjects(objects)
    expect(kinds(objects)).toEqual(['networking.k8s.io/v1/Ingress'])
    const ingress = ingressOf(objects)
    expect(ingress.metadata).toMatchObject({name: 'gateway', namespace: 'mygate', labels: {'app.kubernetes.io/name': 'gateway', 'app.kubernetes.io/managed-by': 'mygate'}})
    expect(annotations(ingress)).toMatchObject({
      'alb.ingress.kubernetes.io/scheme': 'internet-facing',
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/certificate-arn': ARN,
      'alb.ingress.kubernetes.io/wafv2-acl-arn': ACL,
      'alb.ingress.kubernetes.io/ssl-redirect': '443',
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP": 80}, {"HTTPS": 443}]',
    })
    expect(ingress.spec).toMatchObject({ingressClassName: 'alb', tls: [{hosts: ['app.example.com']}], rules: [{host: 'app.example.com'}]})
    const backend = (ingress.spec as {rules: Array<{http: {paths: Array<{backend: unknown}>}}>}).rules[0].http.paths[0].backend
    expect(backend).toEqual({service: {name: 'gateway', port: {number: catalog.byName('gateway')!.port}}})
  })

  test('aws: the other region has no certificate ARN or WAF of its own; without a DNS name it listens on HTTP only', async () => {
    const env = testEnvironment({provider: 'aws', regions: {primary: 'ap-south-1', secondary: 'ap-south-2'}, entry: {'ap-south-2': {tls: {certificateArn: ARN}}}})
    const ingress = ingressOf(await renderEntryPoint({catalog, env, region: 'ap-south-1'}))
    expect(annotations(ingress)).not.toHaveProperty('alb.ingress.kubernetes.io/certificate-arn')
    expect(annotations(ingress)).not.toHaveProperty('alb.ingress.kubernetes.io/wafv2-acl-arn')
    expect(annotations(ingress)['alb.ingress.kubernetes.io/listen-ports']).toBe('[{"HTTP": 80}]')
    expect(ingress.spec).not.toHaveProperty('tls')
    expect((ingress.spec as {rules: object[]}).rules[0]).not.toHaveProperty('host')
  })

  test('gcp: GKE Ingress class gce, a ManagedCertificate for the name, Cloud Armor through a BackendConfig', async () => {
    const env = testEnvironment({provider: 'gcp', regions: {primary: 'asia-south1'}, entry: {'asia-south1': {waf: {securityPolicy: 'edge-armor'}}}})
    const objects = await renderEntryPoint({catalog, env, region: 'asia-south1', dnsName: 'app.example.com'})
    await validateObjects(objects)
    expect(kinds(objects)).toEqual(['networking.k8s.io/v1/Ingress', 'networking.gke.io/v1/ManagedCertificate', 'cloud.google.com/v1/BackendConfig'])
    const ingress = ingressOf(objects)
    expect(annotations(ingress)).toEqual({
      'kubernetes.io/ingress.class': 'gce',
      'networking.gke.io/managed-certificates': 'gateway',
      'kubernetes.io/ingress.allow-http': 'false',
    })
    expect(ingress.spec).not.toHaveProperty('ingressClassName')
    expect(objects[1].spec).toEqual({domains: ['app.example.com']})
    expect(objects[2].spec).toEqual({healthCheck: {type: 'HTTP', requestPath: catalog.byName('gateway')!.probes.readiness, port: catalog.byName('gateway')!.port}, securityPolicy: {name: 'edge-armor'}})
  })

  test('gcp: a pre-shared certificate replaces the managed one; the gateway Service points at the BackendConfig', async () => {
    const env = testEnvironment({provider: 'gcp', regions: {primary: 'asia-south1'}, entry: {'asia-south1': {tls: {certificateName: 'edge-cert'}}}})
    const objects = await renderEntryPoint({catalog, env, region: 'asia-south1', dnsName: 'app.example.com'})
    expect(kinds(objects)).toEqual(['networking.k8s.io/v1/Ingress', 'cloud.google.com/v1/BackendConfig'])
    expect(annotations(ingressOf(objects))['ingress.gcp.kubernetes.io/pre-shared-cert']).toBe('edge-cert')
    expect(objects[1].spec).not.toHaveProperty('securityPolicy')
    const service = (await renderService(catalog.byName('gateway')!, env, {catalog})).find((o) => o.kind === 'Service')!
    expect(annotations(service)).toEqual({'cloud.google.com/backend-config': '{"default":"gateway"}', 'cloud.google.com/neg': '{"ingress":true}'})
    const other = (await renderService(catalog.byName('auth')!, env, {catalog})).find((o) => o.kind === 'Service')!
    expect(other.metadata).not.toHaveProperty('annotations')
  })

  test('local: a plain Ingress for the local name, no annotations, no class', async () => {
    const objects = await renderEntryPoint({catalog, env: testEnvironment(), region: 'local-1', dnsName: 'demo.mygate.local'})
    await validateObjects(objects)
    const ingress = ingressOf(objects)
    expect(ingress.metadata).not.toHaveProperty('annotations')
    expect(ingress.spec).not.toHaveProperty('ingressClassName')
    expect((ingress.spec as {rules: Array<{host: string}>}).rules[0].host).toBe('demo.mygate.local')
  })
})
