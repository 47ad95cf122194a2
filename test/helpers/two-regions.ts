import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {ServiceDescriptor} from '../../src/catalog/types.js'
import type {EnvironmentSpec} from '../../src/config/types.js'
import {directConnection} from '../../src/db/connection.js'
import {ensureOpsConfigMap} from '../../src/db/ops-configmap.js'
import {runDatabaseOperation} from '../../src/db/run-operation.js'
import {memberServiceName} from '../../src/db/topology.js'
import {readStatus} from '../../src/failover/database-moves.js'
import {finalMembers, regionOfHost, topologyWithActive} from '../../src/failover/replica-moves.js'
import {KubeClient} from '../../src/kube/client.js'
import {type LocalCluster, startLocalCluster} from '../../src/local-cluster/cluster.js'
import {LOCAL_POD_RANGES} from '../../src/providers/local/address-plan.js'
import {DataPlane} from '../../src/local-cluster/data-plane/data-plane.js'
import {credentialsSecret, headlessService, memberService, mongodStatefulSet, namespace} from './data-plane.js'
import {writeKubeconfig} from './kubectl.js'

/**
 * Two local clusters of one cluster set (regions r1 and r2) sharing one simulated data plane, over
 * real HTTP with a KubeClient each: what the failover and Redis integration tests start from. The
 * data plane is not started: a test starts it when its objects are in place.
 */
export interface TwoRegions {
  dir: string
  dataPlane: DataPlane
  clusters: Record<string, LocalCluster>
  clients: Record<string, KubeClient>
  close(): Promise<void>
}

export const REGIONS = ['r1', 'r2'] as const

export async function startTwoRegions(options: {clusterSet: string; tmpPrefix: string; persistDataPlane?: boolean}): Promise<TwoRegions> {
  const dir = mkdtempSync(join(tmpdir(), options.tmpPrefix))
  const dataPlane = new DataPlane({...(options.persistDataPlane ? {stateDir: join(dir, 'data-plane')} : {}), timing: {tickMs: 50}})
  const clusters: Record<string, LocalCluster> = {}
  const clients: Record<string, KubeClient> = {}
  const close = async () => {
    for (const client of Object.values(clients)) client.close()
    for (const cluster of Object.values(clusters)) await cluster.stop()
    await dataPlane.close()
    rmSync(dir, {recursive: true, force: true})
  }
  try {
    for (const region of REGIONS) {
      clusters[region] = await startLocalCluster({
        name: `${options.clusterSet}-${region}`,
        region,
        clusterSet: options.clusterSet,
        stateDir: join(dir, region),
        dataPlane,
        // Each region its own Pod range, as the local provider gives them (the cross-region policies admit it).
        podCidr: LOCAL_POD_RANGES[region === 'r1' ? 'primary' : 'secondary'],
        timing: {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 50},
      })
      clients[region] = await KubeClient.connect({kubeconfigPath: writeKubeconfig(clusters[region].url, mkdtempSync(join(dir, `kc-${region}-`))), context: 'local'})
    }
  } catch (error) {
    await close()
    throw error
  }
  return {dir, dataPlane, clusters, clients, close}
}

/** Polls `check` (an answer, or undefined for "not yet") until it answers or time runs out; no fixed sleeps. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, options: {timeoutMs?: number; intervalMs?: number; ignoreErrors?: boolean} = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  for (;;) {
    const value = options.ignoreErrors ? await check().catch(() => undefined) : await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 150))
  }
}

/**
 * One MongoDB replica set across both regions, formed as `env create` forms it: every member's
 * objects applied in each region, `initiate` with the final layout (r1 active), then waited for
 * until healthy with its PRIMARY in r1.
 */
export async function formReplicaSetAcrossRegions(regions: TwoRegions, input: {database: ServiceDescriptor; spec: EnvironmentSpec; settings: Record<string, number>}): Promise<void> {
  const {database, spec, settings} = input
  const name = database.name
  const replicas = database.tiers[spec.tier].replicas
  for (const region of REGIONS) {
    const perMember = Array.from({length: replicas}, (_, i) => memberService(memberServiceName(name, region, i), `${name}-${i}`))
    for (const object of [namespace(), credentialsSecret(name), headlessService(name), mongodStatefulSet(name, {replicas}), ...perMember]) await regions.clients[region].apply(object)
    await ensureOpsConfigMap(regions.clients[region])
  }
  const topology = topologyWithActive(database, spec, 'r1')
  await waitUntil('initiate', async () => {
    try {
      return await runDatabaseOperation(regions.clients.r1, {database: name, op: 'initiate', params: {set: name, members: finalMembers(topology), settings}, connection: directConnection(topology.members[0].host), timeoutMs: 20_000})
    } catch {
      return undefined
    }
  })
  await waitUntil(`a healthy ${name} with its PRIMARY in r1`, async () => {
    const status = await readStatus({client: regions.clients.r1, database, spec})
    return status.verdict === 'healthy' && status.primary && regionOfHost(topology, status.primary) === 'r1' ? status : undefined
  })
}
