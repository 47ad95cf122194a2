import type {KubeObject} from '../../kube/types.js'
import {matchesMapSelector} from '../controllers/label-selector.js'
import {isPodActive, isPodReady} from '../controllers/pod-state.js'
import {DESTINATIONRULES, FEATUREFLAGS, PODS, SERVICES, VIRTUALSERVICES} from '../controllers/resources.js'
import {fnv1a32} from '../controllers/template-hash.js'
import {faultsFor, flagFaultErrorRate} from '../faults/faults-for.js'
import {type FlagInfo, flagsOf} from './flag-evaluation.js'
import {listFaults} from '../faults/fault-store.js'
import {SERVICE_LABEL, VERSION_LABEL} from '../faults/types.js'
import type {ObjectStore} from '../store/types.js'
import {type ReadyByVersion, shareByReadyPods, shareByWeights, type WeightedDestination} from './traffic-share.js'

/** What one version of one service is serving right now. */
export interface VersionTraffic {
  namespace: string
  service: string
  version: string
  /** Requests per second reaching this version. */
  rps: number
  /** Share answered 5xx, 0..1. */
  errorRate: number
  /** p99 of the latency distribution's body, ms. */
  p99Ms: number
  /** Added to every request by a latency fault, ms. */
  shiftMs: number
  /**
   * Requests whose code path evaluated this flag and got this variant (labelled
   * feature_flag_key / feature_flag_result_variant); absent for requests that evaluated none.
   */
  flag?: {key: string; variant: string}
}

/** Baseline 5xx share of a healthy service (0.02%: below the strictest descriptor threshold, billing's 0.1%). */
export const BASELINE_ERROR_RATE = 0.0002
export const TRACK_LABEL = 'mygate.dev/track'
/** The label a version-less pod is reported under. */
export const UNKNOWN_VERSION = 'unknown'

/** Requests per second a whole service receives: 40-60 rps, fixed per name (a stand-in for the gateway's load). */
export function baseRequestRate(service: string): number {
  return 40 + (fnv1a32(`rps:${service}`) % 2001) / 100
}

/** A healthy version's p99: 80-150 ms, fixed per service and version. */
export function baselineP99Ms(service: string, version: string): number {
  return 80 + (fnv1a32(`p99:${service}:${version}`) % 7001) / 100
}

const versionOf = (pod: KubeObject): string => pod.metadata.labels?.[VERSION_LABEL] || UNKNOWN_VERSION

function readyCounts(pods: readonly KubeObject[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const pod of pods) if (isPodActive(pod) && isPodReady(pod)) counts.set(versionOf(pod), (counts.get(versionOf(pod)) ?? 0) + 1)
  return counts
}

const hostMatches = (host: string | undefined, service: string, namespace: string): boolean =>
  host !== undefined && [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`].includes(host)

interface VirtualServiceSpec {
  hosts?: string[]
  http?: Array<{route?: Array<{destination?: {host?: string; subset?: string}; weight?: number}>}>
}
interface DestinationRuleSpec {
  host?: string
  subsets?: Array<{name: string; labels?: Record<string, string>}>
}

const served = (store: ObjectStore, ref: {group: string; resource: string}): boolean => store.typeFor(ref) !== undefined

/**
 * The traffic every service version gets right now, from the cluster's state: pods (ready ones
 * take traffic), the Service's selector, an Istio VirtualService's weights (subsets resolved by
 * the DestinationRule's labels, else by the `mygate.dev/track` label), and Fault objects.
 */
export function computeTraffic(store: ObjectStore): VersionTraffic[] {
  const byService = new Map<string, KubeObject[]>()
  for (const pod of store.list(PODS).items) {
    const service = pod.metadata.labels?.[SERVICE_LABEL]
    if (!service || !pod.metadata.namespace) continue
    const key = `${pod.metadata.namespace}/${service}`
    let list = byService.get(key)
    if (!list) byService.set(key, (list = []))
    list.push(pod)
  }
  const out: VersionTraffic[] = []
  const faultsByNamespace = new Map<string, ReturnType<typeof listFaults>>()
  const flagsByNamespace = new Map<string, FlagInfo[]>()
  for (const [key, servicePods] of byService) {
    const [namespace, service] = key.split('/')
    const svc = store.get(SERVICES, namespace, service)
    const selector = (svc?.spec as {selector?: Record<string, string>} | undefined)?.selector
    const pods = selector && Object.keys(selector).length > 0 ? servicePods.filter((pod) => matchesMapSelector(selector, pod.metadata.labels)) : servicePods
    const rps = baseRequestRate(service)
    const rpsByVersion = new Map<string, number>()
    for (const [version, share] of routeShares(store, namespace, service, pods)) if (share > 0) rpsByVersion.set(version, rps * share)
    for (const [version, share] of previewShares(store, namespace, service, servicePods)) {
      rpsByVersion.set(version, (rpsByVersion.get(version) ?? 0) + PREVIEW_SMOKE_RPS * share)
    }
    if (rpsByVersion.size === 0) continue
    if (!faultsByNamespace.has(namespace)) faultsByNamespace.set(namespace, listFaults(store, namespace))
    const faults = faultsByNamespace.get(namespace) ?? []
    if (!flagsByNamespace.has(namespace)) flagsByNamespace.set(namespace, served(store, FEATUREFLAGS) ? flagsOf(store.list(FEATUREFLAGS, {namespace}).items) : [])
    const flags = (flagsByNamespace.get(namespace) ?? []).filter((f) => f.services.includes(service) && f.shares.size > 0)
    for (const [version, versionRps] of rpsByVersion) {
      const effects = faultsFor(service, version === UNKNOWN_VERSION ? undefined : version, faults)
      const base: VersionTraffic = {
        namespace,
        service,
        version,
        rps: versionRps,
        errorRate: 1 - (1 - BASELINE_ERROR_RATE) * (1 - effects.errorRate),
        p99Ms: baselineP99Ms(service, version),
        shiftMs: effects.latencyMs,
      }
      if (flags.length === 0) {
        out.push(base)
        continue
      }
      // The simulated service has one code path per flag it evaluates plus one that evaluates
      // none, each taking an equal share of its requests: a request is labelled with the one flag
      // its path evaluated (the metric contract), so the series of a version still add up to it.
      const pathRps = versionRps / (flags.length + 1)
      out.push({...base, rps: pathRps})
      for (const flag of flags) {
        for (const [variant, share] of flag.shares) {
          const flagErrors = variant === flag.onVariant ? flagFaultErrorRate(service, version === UNKNOWN_VERSION ? undefined : version, flag.key, faults) : 0
          out.push({...base, rps: pathRps * share, errorRate: 1 - (1 - base.errorRate) * (1 - flagErrors), flag: {key: flag.key, variant}})
        }
      }
    }
  }
  return out
}

/**
 * Smoke traffic to a blue-green preview Service (`SERVICE-preview`): real setups drive test
 * requests at the preview colour so pre-promotion analysis has data; the simulation does the same
 * at a small constant rate, shared by the ready pods the preview Service selects.
 */
export const PREVIEW_SMOKE_RPS = 5

function previewShares(store: ObjectStore, namespace: string, service: string, servicePods: readonly KubeObject[]): Map<string, number> {
  const preview = store.get(SERVICES, namespace, `${service}-preview`)
  const selector = (preview?.spec as {selector?: Record<string, string>} | undefined)?.selector
  if (!selector || Object.keys(selector).length === 0) return new Map()
  return shareByReadyPods(readyCounts(servicePods.filter((pod) => matchesMapSelector(selector, pod.metadata.labels))))
}

function routeShares(store: ObjectStore, namespace: string, service: string, pods: readonly KubeObject[]): Map<string, number> {
  const virtualService = served(store, VIRTUALSERVICES)
    ? store.list(VIRTUALSERVICES, {namespace}).items.find((vs) => ((vs.spec as VirtualServiceSpec | undefined)?.hosts ?? []).some((h) => hostMatches(h, service, namespace)))
    : undefined
  const route = (virtualService?.spec as VirtualServiceSpec | undefined)?.http?.[0]?.route
  if (!route || route.length === 0) return shareByReadyPods(readyCounts(pods))
  const rule = served(store, DESTINATIONRULES)
    ? store.list(DESTINATIONRULES, {namespace}).items.find((dr) => hostMatches((dr.spec as DestinationRuleSpec | undefined)?.host, service, namespace))
    : undefined
  const subsets = new Map(((rule?.spec as DestinationRuleSpec | undefined)?.subsets ?? []).map((s) => [s.name, s.labels ?? {}]))
  const destinations: WeightedDestination[] = route.map((r) => ({subset: r.destination?.subset, weight: r.weight}))
  return shareByWeights(destinations, (subset): ReadyByVersion => {
    if (subset === undefined) return readyCounts(pods)
    const labels = subsets.get(subset) ?? {[TRACK_LABEL]: subset}
    return readyCounts(pods.filter((pod) => Object.entries(labels).every(([k, v]) => pod.metadata.labels?.[k] === v)))
  })
}
