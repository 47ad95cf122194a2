import type {Catalog} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {TimeoutError} from '../errors.js'
import {KindNotServedError} from '../kube/api-error.js'
import type {KubeApi} from '../kube/api.js'
import {applyObjects} from '../kube/apply.js'
import {NAMESPACES} from '../config/types.js'
import type {KubeObject} from '../kube/types.js'
import {ENTRY_NAME} from '../render/entry-context.js'
import {renderEntryPoint} from '../render/entry-point.js'
import {validateObjects} from '../render/validate.js'
import {environmentDnsName, hasManagedDns, openTrafficFor, type RegionEntryPoint, type TrafficDescription} from './environment-traffic.js'

/** The `traffic` part of `env create --json`. */
export interface TrafficEntryResult {
  /** The environment's DNS name, when it has one. */
  name?: string
  /** Each region's entry point: the gateway Ingress's load-balancer address. */
  entryPoints: RegionEntryPoint[]
  /** The DNS records as they answer after the create (absent when mygate manages no DNS). */
  dns?: TrafficDescription
  /** Kinds of the entry point the cluster does not serve (GKE's CRDs elsewhere), skipped. */
  skipped: string[]
}

export interface EnsureTrafficEntryOptions {
  env: EnvironmentSpec
  catalog: Catalog
  /** region -> client of that region's cluster. */
  clients: Map<string, KubeApi>
  /** The region the environment record says is active (kept by a re-run after a failover). */
  activeRegion: string
  home?: string
  /** How long to wait for each region's load-balancer address (default: 60 s local, 10 min on a cloud, where ALBs take minutes). */
  addressTimeoutMs?: number
  onProgress?: (message: string) => void
}

/**
 * `env create`'s traffic step: apply the gateway's entry point in every region, wait until each
 * has a load-balancer address, then create or refresh the environment's DNS records pointing at
 * them (keeping the active region of a previous run). kubeconfig environments get the Ingress
 * only: their DNS is their owners', and their clusters may have no ingress controller to wait for.
 */
export async function ensureTrafficEntry(options: EnsureTrafficEntryOptions): Promise<TrafficEntryResult> {
  const {env} = options
  const dnsName = environmentDnsName(env)
  const progress = options.onProgress ?? (() => undefined)
  const result: TrafficEntryResult = {...(dnsName ? {name: dnsName} : {}), entryPoints: [], skipped: []}
  const managed = hasManagedDns(env)
  const timeoutMs = options.addressTimeoutMs ?? (env.provider === 'local' ? 60_000 : 600_000)

  for (const [region, client] of options.clients) {
    const objects = await renderEntryPoint({catalog: options.catalog, env, region, dnsName})
    await validateObjects(objects)
    await applyObjects(client, await servedOnly(client, objects, result.skipped))
    const endpoint = managed ? await waitForAddress(client, region, env, timeoutMs) : await currentAddress(client)
    result.entryPoints.push({region, ...(endpoint ? {endpoint} : {})})
    progress(`${region}: entry point ${endpoint ?? '(no load-balancer address)'}`)
  }
  if (!managed) return result

  const traffic = await openTrafficFor({spec: env, activeRegion: options.activeRegion}, {home: options.home})
  try {
    result.dns = await traffic.ensureRecords(result.entryPoints)
  } finally {
    await traffic.close()
  }
  progress(`${result.dns.name} -> ${result.dns.active.join(', ') || 'no region'} (${result.dns.mode})`)
  return result
}

async function servedOnly(client: KubeApi, objects: KubeObject[], skipped: string[]): Promise<KubeObject[]> {
  const served: KubeObject[] = []
  for (const object of objects) {
    try {
      await client.resourceFor(object.apiVersion, object.kind)
      served.push(object)
    } catch (error) {
      if (!(error instanceof KindNotServedError)) throw error
      const what = `${object.kind} ${object.metadata.name} (${object.apiVersion} not served by the cluster)`
      if (!skipped.includes(what)) skipped.push(what)
    }
  }
  return served
}

/** The gateway Ingress's first load-balancer address (hostname or IP), if it has one yet. */
export async function currentAddress(client: KubeApi): Promise<string | undefined> {
  const ingress = await client.get('networking.k8s.io/v1', 'Ingress', ENTRY_NAME, NAMESPACES.apps)
  const first = ((ingress?.status ?? {}) as {loadBalancer?: {ingress?: Array<{hostname?: string; ip?: string}>}}).loadBalancer?.ingress?.[0]
  return first?.hostname ?? first?.ip
}

const CONTROLLER_HINT: Record<string, string> = {
  aws: 'is the AWS Load Balancer Controller installed and allowed to create ALBs? See `kubectl describe ingress gateway -n mygate`',
  gcp: 'GKE Ingress can take several minutes; see `kubectl describe ingress gateway -n mygate` for its events',
  local: 'see `mygate local status`; re-run `mygate env create` to finish',
}

async function waitForAddress(client: KubeApi, region: string, env: EnvironmentSpec, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const address = await currentAddress(client)
    if (address) return address
    if (Date.now() >= deadline) {
      throw new TimeoutError(`the gateway Ingress in ${region} has no load-balancer address after ${Math.round(timeoutMs / 1000)}s`, {
        hint: CONTROLLER_HINT[env.provider] ?? 're-run `mygate env create` to finish',
      })
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** `env destroy`'s traffic step: the records and health checks go first, so no traffic is sent to a dying environment. */
export async function removeTrafficRecords(spec: EnvironmentSpec, activeRegion: string, options: {home?: string} = {}): Promise<string[]> {
  if (!hasManagedDns(spec)) return []
  const traffic = await openTrafficFor({spec, activeRegion}, options)
  try {
    return await traffic.removeRecords()
  } finally {
    await traffic.close()
  }
}
