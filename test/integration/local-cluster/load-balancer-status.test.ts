import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {startApiServer, type ApiServer} from '../../../src/local-cluster/api-server/index.js'
import {startControllers, type ControllersHandle} from '../../../src/local-cluster/controllers/index.js'
import {createObjectStore, type LocalObjectStore} from '../../../src/local-cluster/store/index.js'
import {runKubectl, writeKubeconfig} from '../../helpers/kubectl.js'

/** Real kubectl against the local control plane: load-balancer addresses appear as a cloud sets them. */
const dir = mkdtempSync(join(tmpdir(), 'mygate-lb-status-'))
let store: LocalObjectStore
let server: ApiServer
let controllers: ControllersHandle
let kubeconfig: string

beforeAll(async () => {
  store = createObjectStore()
  controllers = startControllers({store, clusterName: 'demo-local-1', region: 'local-1'})
  server = await startApiServer({store})
  kubeconfig = writeKubeconfig(server.url, dir)
})

afterAll(async () => {
  await server?.close()
  await controllers?.stop()
  await store?.close()
  rmSync(dir, {recursive: true, force: true})
})

async function ok(args: string[], input?: string): Promise<string> {
  const result = await runKubectl(args, {kubeconfig, input, timeoutMs: 30_000})
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}\n${result.stdout}`)
  return result.stdout
}

/** Polls a jsonpath until it is non-empty (or returns '' after the deadline). */
async function waitFor(resource: string, jsonpath: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await ok(['get', resource, '-o', `jsonpath=${jsonpath}`])
    if (value !== '' || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const ingress = (name: string, className?: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ${name}}
spec:
  ${className ? `ingressClassName: ${className}` : 'defaultBackend: {service: {name: web, port: {number: 80}}}'}
  rules:
  - host: demo.mygate.local
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`

describe('simulated load-balancer status', () => {
  test('an Ingress without a class gets a hostname derived from cluster, namespace and name', async () => {
    await ok(['apply', '-f', '-'], ingress('web'))
    expect(await waitFor('ingress/web', '{.status.loadBalancer.ingress[0].hostname}')).toBe('default-web.demo-local-1.lb.mygate.local')
  })

  test('an Ingress of a class no controller here serves (alb) gets no address, as on a cluster without that controller', async () => {
    await ok(['apply', '-f', '-'], ingress('alb-web', 'alb'))
    await ok(['apply', '-f', '-'], ingress('local-web', 'mygate-local'))
    expect(await waitFor('ingress/local-web', '{.status.loadBalancer.ingress[0].hostname}')).toBe('default-local-web.demo-local-1.lb.mygate.local')
    expect(await ok(['get', 'ingress/alb-web', '-o', 'jsonpath={.status.loadBalancer}'])).toMatch(/^(\{\})?$/)
  })

  test('a LoadBalancer Service gets a stable IP in 198.18.0.0/15; back to ClusterIP, the status is cleared', async () => {
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: edge}\nspec:\n  type: LoadBalancer\n  selector: {app: edge}\n  ports: [{port: 443, targetPort: 8443}]\n')
    const ip = await waitFor('service/edge', '{.status.loadBalancer.ingress[0].ip}')
    expect(ip).toMatch(/^198\.(18|19)\.\d{1,3}\.\d{1,3}$/)
    // kubectl's own column shows it too.
    expect(await ok(['get', 'service/edge', '--no-headers'])).toContain(ip)

    await ok(['patch', 'service/edge', '--type=merge', '-p', '{"spec":{"type":"ClusterIP"}}'])
    const deadline = Date.now() + 5000
    const read = () => ok(['get', 'service/edge', '-o', 'jsonpath={.status.loadBalancer.ingress}'])
    let cleared = await read()
    while (cleared !== '' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      cleared = await read()
    }
    expect(cleared).toBe('')
  })

  test('a Service with another loadBalancerClass is left to that implementation', async () => {
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: other}\nspec:\n  type: LoadBalancer\n  loadBalancerClass: example.com/other\n  selector: {app: x}\n  ports: [{port: 80}]\n')
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: mine}\nspec:\n  type: LoadBalancer\n  selector: {app: x}\n  ports: [{port: 80}]\n')
    // Once the later Service has its address, the earlier one has been looked at too.
    expect(await waitFor('service/mine', '{.status.loadBalancer.ingress[0].ip}')).not.toBe('')
    expect(await ok(['get', 'service/other', '-o', 'jsonpath={.status.loadBalancer.ingress}'])).toBe('')
  })
})
