import type {EnvironmentSpec} from '../config/types.js'
import type {EnvironmentRecord} from '../env/record.js'
import {UsageError} from '../errors.js'
import type {TrafficMode} from './traffic-state.js'

/** One environment's public entry: its DNS name and which region(s) serve it. */
export interface EnvironmentTraffic {
  /** The DNS name, e.g. app.demo.example.com (local: demo.mygate.local). */
  readonly name: string
  describe(): Promise<TrafficDescription>
  /** Make `region` the one that serves (failover records swapped / weights), and wait until the change is in sync. Idempotent. */
  switchActive(region: string): Promise<void>
  /** Take a region out of service (fencing: weight 0 / its record withdrawn). Idempotent. */
  withdraw(region: string): Promise<void>
  /** Put a withdrawn region back (standby in failover mode, weighted in active-active). Idempotent. */
  restore(region: string): Promise<void>
  /**
   * Create or refresh the records (and health checks) for these entry points; an existing
   * record set keeps its active region, withdrawn regions and weights. Used by `env create`.
   */
  ensureRecords(entries: RegionEntryPoint[]): Promise<TrafficDescription>
  /** Remove the records and health checks (never the zone: the user owns it). Idempotent; used by `env destroy`. */
  removeRecords(): Promise<string[]>
  /** The health checks that decide whether `region` answers (Route 53 ids, Cloud DNS health-checked targets, the local cluster). */
  healthChecksFor(region: string): Promise<RegionHealthCheck[]>
  close(): Promise<void>
}

export interface TrafficDescription {
  name: string
  mode: TrafficMode
  /** The region(s) DNS answers with now. */
  active: string[]
  regions: Array<{region: string; endpoint?: string; healthy?: boolean; weight?: number; withdrawn: boolean}>
}

/** A region's entry point: the address its gateway Ingress's load balancer was given. */
export interface RegionEntryPoint {
  region: string
  /** Load-balancer hostname or IP (Ingress status.loadBalancer.ingress[0]). */
  endpoint?: string
  /** The path health checks probe (the gateway's readiness path). */
  healthPath?: string
}

export interface RegionHealthCheck {
  /** Provider id (Route 53 health check id) or a descriptive id for simulated checks. */
  id: string
  region: string
  /** What is probed, e.g. https://k8s-...elb.amazonaws.com:443/healthz. */
  target: string
  healthy?: boolean
}

export interface OpenTrafficOptions {
  home?: string
  /** aws: SDK client settings and sync time-out (tests point them at moto). */
  aws?: import('../providers/aws/route53-traffic.js').Route53TrafficOptions
  /** gcp: the Cloud DNS endpoint and request (tests point them at the fake). */
  gcp?: import('../providers/gcp/cloud-dns-traffic.js').CloudDnsTrafficOptions
}

/** What the traffic layer needs to know of an environment: its spec and the region serving now. */
export interface TrafficTarget {
  spec: EnvironmentSpec
  /** The region the record says is active (the PRIMARY when records are first created). */
  activeRegion: string
}

/** Local environments without `dns:` answer under this suffix in the local DNS table. */
export const LOCAL_DNS_SUFFIX = 'mygate.local'

/** The environment's DNS name: `dns.name` when configured, NAME.mygate.local on the local provider. */
export function environmentDnsName(spec: Pick<EnvironmentSpec, 'name' | 'provider' | 'dns'>): string | undefined {
  if (spec.dns) return spec.dns.name
  return spec.provider === 'local' ? `${spec.name}.${LOCAL_DNS_SUFFIX}` : undefined
}

/** Failover records, or weighted ones for active-active. */
export function trafficModeFor(spec: Pick<EnvironmentSpec, 'drMode'>): TrafficMode {
  return spec.drMode === 'active-active' ? 'weighted' : 'failover'
}

/** Providers whose DNS records mygate manages (kubeconfig environments bring their own DNS). */
const MANAGED_DNS_PROVIDERS = new Set(['local', 'aws', 'gcp'])

/** Whether the environment has a DNS name mygate manages (create/destroy/describe skip it otherwise). */
export function hasManagedDns(spec: Pick<EnvironmentSpec, 'name' | 'provider' | 'dns'>): boolean {
  return environmentDnsName(spec) !== undefined && MANAGED_DNS_PROVIDERS.has(spec.provider)
}

/**
 * Opens the traffic layer of an environment from its record (provider, regions, dns settings).
 * The provider's DNS client is loaded only here, when it is needed.
 */
export async function openEnvironmentTraffic(record: EnvironmentRecord, options: OpenTrafficOptions = {}): Promise<EnvironmentTraffic> {
  return openTrafficFor({spec: record.spec, activeRegion: record.activeRegion}, options)
}

/** The same from a spec alone: `env destroy` may only have the spec its cached kubeconfig carries. */
export async function openTrafficFor(target: TrafficTarget, options: OpenTrafficOptions = {}): Promise<EnvironmentTraffic> {
  const {spec} = target
  if (!hasManagedDns(spec)) {
    throw new UsageError(`environment "${spec.name}" has no DNS name mygate manages`, {
      hint:
        spec.provider === 'kubeconfig'
          ? 'kubeconfig environments bring their own DNS; move traffic with your DNS provider'
          : `add dns: {zone, name} to environments.${spec.name} in mygate.yaml`,
    })
  }
  switch (spec.provider) {
    case 'local': {
      const {openLocalTraffic} = await import('./local-traffic.js')
      return openLocalTraffic(target, options)
    }
    case 'aws': {
      const {openRoute53Traffic} = await import('../providers/aws/route53-traffic.js')
      return openRoute53Traffic(target, options.aws)
    }
    case 'gcp': {
      const {openCloudDnsTraffic} = await import('../providers/gcp/cloud-dns-traffic.js')
      return openCloudDnsTraffic(target, options.gcp)
    }
    default:
      throw new UsageError(`DNS for provider ${spec.provider} is not available yet`)
  }
}

/** The environment's regions, primary first. */
export function trafficRegions(spec: Pick<EnvironmentSpec, 'regions'>): string[] {
  return [spec.regions.primary, ...(spec.regions.secondary ? [spec.regions.secondary] : [])]
}
