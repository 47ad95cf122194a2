import {cpuMillicores, memoryBytes} from '../catalog/quantity.js'
import type {Catalog} from '../catalog/types.js'
import {NAMESPACES} from '../config/types.js'
import type {EnvironmentRecord} from '../env/record.js'
import {NotFoundError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import {LABEL_NAME, LABEL_VERSION} from '../render/labels.js'
import type {CloudFailoverAccess} from '../providers/cloud-failover.js'
import {plannedGroupSizes} from '../providers/node-group-sizing.js'
import {hasManagedDns, type EnvironmentTraffic} from '../traffic-dns/environment-traffic.js'
import {
  type CheckResult,
  judgeBackupAge,
  judgeDatabases,
  judgeDns,
  judgeTargetCluster,
  judgeVersions,
} from './checks.js'
import {observeDatabase} from './database-moves.js'
import {allocatable, growthOf, growthUnknownOn, judgeNodeCapacity, type NodeGrowth} from './node-capacity.js'
import {appObjectsFor} from './region-scale.js'
import {regionOfHost, topologyWithActive} from './replica-moves.js'

/**
 * Measures what the readiness checks judge (checks.ts), in the target region. The target's
 * cluster is asked first with its own short time-out; when it does not answer the other checks
 * are not attempted (each would only wait out the same time-out) and say so.
 */

export interface ReadinessInput {
  record: EnvironmentRecord
  catalog: Catalog
  target: string
  client: KubeApi
  /** Opened lazily: the DNS check is the only user. */
  traffic: () => Promise<EnvironmentTraffic>
  /** The cloud's node groups (aws, gcp); absent or undefined: growth is unknown and said so. */
  cloud?: () => Promise<CloudFailoverAccess | undefined>
  /** Time-out of the target's reachability probe (default 3 s). */
  probeTimeoutMs?: number
}

export async function runReadinessChecks(input: ReadinessInput): Promise<CheckResult[]> {
  const {client, target} = input
  const started = Date.now()
  const reach = await client.reachable({timeoutMs: input.probeTimeoutMs ?? 3000})
  const cluster = judgeTargetCluster(target, {...reach, elapsedMs: Date.now() - started})
  if (!reach.reachable) {
    const skipped = (check: CheckResult['check']): CheckResult => ({check, verdict: 'skipped', measured: `${target} does not answer`})
    return [cluster, skipped('database-lag'), skipped('versions'), skipped('capacity'), await dnsCheck(input), judgeBackupAge('no catalog')]
  }
  const [databases, versions, capacity, dns] = await Promise.all([databaseCheck(input), versionsCheck(input), capacityCheck(input), dnsCheck(input)])
  // Backups (issue 12) keep no catalog in the cluster yet: the warning-only check says so.
  return [cluster, databases, versions, capacity, dns, judgeBackupAge('no catalog')]
}

async function databaseCheck(input: ReadinessInput): Promise<CheckResult> {
  const {record, catalog, target, client} = input
  const databases = catalog.services.filter((s) => s.kind === 'mongodb')
  const observations = await Promise.all(databases.map((database) => observeDatabase({client, database, spec: record.spec})))
  const inTarget = (host: string) => databases.some((database) => regionOfHost(topologyWithActive(database, record.spec, target), host) === target)
  return judgeDatabases(observations, target, inTarget)
}

/** The version each app runs in the target: Deployments that ask for replicas, by their name label. */
async function versionsCheck(input: ReadinessInput): Promise<CheckResult> {
  const deployments = await input.client.list('apps/v1', 'Deployment', {namespace: NAMESPACES.apps})
  const running: Record<string, string> = {}
  for (const d of deployments.items) {
    const service = d.metadata.labels?.[LABEL_NAME]
    const version = d.metadata.labels?.[LABEL_VERSION]
    if (!service || !version || replicasOf(d) === 0) continue
    running[service] = version
  }
  const apps = new Set(input.catalog.services.filter((s) => s.kind === 'app').map((s) => s.name))
  const recorded = Object.fromEntries(Object.entries(input.record.versions).filter(([service]) => apps.has(service)))
  return judgeVersions(recorded, running)
}

/**
 * Requests the full-scale apps add (their replicas times their containers' requests, minus what
 * already runs there) against the nodes' allocatable minus the requests of the pods on them.
 */
async function capacityCheck(input: ReadinessInput): Promise<CheckResult> {
  const {client} = input
  const {objects} = await appObjectsFor({record: input.record, catalog: input.catalog, region: input.target, activeRegion: input.target})
  const current = await client.list('apps/v1', 'Deployment', {namespace: NAMESPACES.apps})
  const running = new Map(current.items.map((d) => [String(d.metadata.name), d]))
  const needed = {cpuMilli: 0, memoryBytes: 0}
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    const existing = running.get(String(d.metadata.name))
    const extra = replicasOf(d) - (existing ? replicasOf(existing) : 0)
    if (extra <= 0) continue
    const per = podRequests(d)
    needed.cpuMilli += extra * per.cpuMilli
    needed.memoryBytes += extra * per.memoryBytes
  }
  const nodes = await client.list('v1', 'Node')
  const pods = await client.list('v1', 'Pod')
  const free = {cpuMilli: 0, memoryBytes: 0}
  let perNode = {cpuMilli: 0, memoryBytes: 0}
  for (const node of nodes.items) {
    const offer = allocatable(node)
    free.cpuMilli += offer.cpuMilli
    free.memoryBytes += offer.memoryBytes
    if (offer.cpuMilli > perNode.cpuMilli) perNode = offer
  }
  for (const pod of pods.items) {
    const phase = (pod.status as {phase?: string} | undefined)?.phase
    if (phase === 'Succeeded' || phase === 'Failed' || !(pod.spec as {nodeName?: string} | undefined)?.nodeName) continue
    const used = containerRequests((pod.spec as {containers?: unknown[]} | undefined)?.containers)
    free.cpuMilli -= used.cpuMilli
    free.memoryBytes -= used.memoryBytes
  }
  return judgeNodeCapacity(needed, free, await nodeGrowth(input, perNode))
}

/** How far the target's node groups can grow, read from the cloud; unknown (and why) otherwise. */
async function nodeGrowth(input: ReadinessInput, perNode: {cpuMilli: number; memoryBytes: number}): Promise<NodeGrowth> {
  const {record} = input
  try {
    const cloud = await input.cloud?.()
    if (!cloud) return {kind: 'unknown', reason: growthUnknownOn(record.provider)}
    const names = [...plannedGroupSizes(record.spec.tier, input.catalog.services, 'full').keys()]
    const live = await cloud.nodeGroups.read(input.target, names)
    if (live.length === 0) return {kind: 'unknown', reason: `no node group of ${input.target} found (${names.join(', ')})`}
    return growthOf(live, perNode)
  } catch (error) {
    return {kind: 'unknown', reason: `node groups unreadable: ${(error as Error).message}`}
  }
}

async function dnsCheck(input: ReadinessInput): Promise<CheckResult> {
  // Records mygate does not manage (kubeconfig, gcp) are the user's to move: nothing to check here.
  if (!hasManagedDns(input.record.spec)) return {check: 'dns', verdict: 'skipped', measured: `DNS of ${input.record.name} is not managed by mygate (provider ${input.record.spec.provider}): move your records to ${input.target}`}
  const started = Date.now()
  try {
    const traffic = await input.traffic()
    const described = await traffic.describe()
    return judgeDns({ok: true, detail: `${described.name} answers in ${Date.now() - started}ms (active ${described.active.join(', ') || 'none'})`})
  } catch (error) {
    // The API answered that the records are missing (an environment created before DNS records
    // existed): it works, and switch-traffic creates them.
    if (error instanceof NotFoundError) return judgeDns({ok: true, detail: `answers in ${Date.now() - started}ms; ${error.message} (created at the switch)`})
    return judgeDns({ok: false, detail: (error as Error).message})
  }
}

function replicasOf(object: KubeObject): number {
  return (object.spec as {replicas?: number} | undefined)?.replicas ?? 1
}

function podRequests(deployment: KubeObject): {cpuMilli: number; memoryBytes: number} {
  const template = (deployment.spec as {template?: {spec?: {containers?: unknown[]}}} | undefined)?.template
  return containerRequests(template?.spec?.containers)
}

function containerRequests(containers: unknown[] | undefined): {cpuMilli: number; memoryBytes: number} {
  const total = {cpuMilli: 0, memoryBytes: 0}
  for (const container of (containers ?? []) as Array<{resources?: {requests?: Record<string, string>}}>) {
    const requests = container.resources?.requests ?? {}
    if (requests.cpu) total.cpuMilli += cpuMillicores(requests.cpu)
    if (requests.memory) total.memoryBytes += memoryBytes(requests.memory)
  }
  return total
}
