import {setTimeout as sleep} from 'node:timers/promises'

import {NAMESPACES} from '../config/types.js'
import {TimeoutError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import {replicaSetConnection} from './connection.js'
import type {StatusResult} from './operations.js'
import {runDatabaseOperation} from './run-operation.js'
import type {ReplicaSetMember, ReplicaSetTopology} from './topology.js'

/**
 * Database upgrades by role. The StatefulSets use `updateStrategy: OnDelete` (Kubernetes: "the
 * StatefulSet controller will not automatically update the Pods ... Users must manually delete Pods
 * to cause the controller to create new Pods that reflect modifications"), so a changed template
 * (a new image) reaches a member only when mygate deletes its pod. Order, per MongoDB's rolling
 * upgrade procedure (https://www.mongodb.com/docs/manual/tutorial/perform-maintence-on-replica-set-members/):
 * 1. every member on an old revision that is not the PRIMARY, one at a time: delete the pod, wait
 *    for its new pod, then for the member to be SECONDARY and caught up (lag <= maxLagSeconds);
 * 2. the PRIMARY last: step-down (only if it is still the primary), wait for a new primary, delete
 *    its pod, wait for it to come back as SECONDARY.
 * Pods already on the StatefulSet's update revision are left alone, so a re-run after a kill
 * continues where it stopped and a set already up to date does nothing.
 */

export interface UpgradeOptions {
  /** region -> client; the primary region's runs the Jobs. */
  clients: ReadonlyMap<string, KubeApi>
  topology: ReplicaSetTopology
  image: string
  /** Whole upgrade (default 10 minutes). */
  timeoutMs?: number
  maxLagSeconds?: number
  onProgress?: (line: string) => void
}

export interface RestartedMember {
  host: string
  region: string
  /** Its role when mygate restarted it: a primary is stepped down first. */
  role: 'secondary' | 'primary'
  /**
   * A primary: false when no other member could take over (the only electable member: a dev set,
   * or a two-region dev environment whose other member does not vote), so it restarted as primary
   * and writes paused until it was back, as they would on any MongoDB set of that shape.
   */
  steppedDown?: boolean
}

export interface UpgradeResult {
  /** Member hosts restarted, in order (the primary at the time last). */
  restarted: string[]
  /** The same, with each member's region and role. */
  steps: RestartedMember[]
  /** The PRIMARY before the upgrade and after it (null when there was none). */
  primaryBefore: string | null
  primaryAfter: string | null
}

export async function upgradeByRole(options: UpgradeOptions): Promise<UpgradeResult> {
  const {topology} = options
  const deadline = Date.now() + (options.timeoutMs ?? 600_000)
  const jobs = options.clients.get(topology.primaryRegion)!
  const stale = await staleMembers(options.clients, topology)
  let current = await readStatus(jobs, options, deadline)
  const primaryBefore = current.primary ?? null
  if (stale.length === 0) return {restarted: [], steps: [], primaryBefore, primaryAfter: primaryBefore}
  const restarted: string[] = []
  const steps: RestartedMember[] = []
  const primaryFirst = (m: ReplicaSetMember) => (m.host === current.primary ? 1 : 0)
  for (const member of [...stale].sort((a, b) => primaryFirst(a) - primaryFirst(b))) {
    current = await readStatus(jobs, options, deadline)
    const role = member.host === current.primary ? 'primary' : 'secondary'
    // rs.stepDown needs an electable secondary (priority > 0, a vote, healthy) to take over.
    const successor = (current.members ?? []).some((m) => m.host !== member.host && m.health === 1 && m.priority > 0 && m.votes > 0 && !m.arbiterOnly)
    if (role === 'primary' && !successor) options.onProgress?.(`${topology.set}: ${member.host} is the only electable member: it restarts as primary (writes pause until it is back)`)
    if (role === 'primary' && successor) {
      const stepped = await runDatabaseOperation(jobs, {
        database: topology.set,
        op: 'step-down',
        params: {expectedPrimary: member.host},
        connection: replicaSetConnection(topology.set, topology.members.map((m) => m.host)),
        image: options.image,
        timeoutMs: remaining(deadline),
      })
      options.onProgress?.(`${topology.set}: stepped down ${member.host} (primary now ${stepped.result.primaryAfter ?? 'being elected'})`)
      await until(deadline, `${topology.set} to elect a new primary`, async () => {
        const s = await readStatus(jobs, options, deadline)
        return s.primary && s.primary !== member.host ? s : undefined
      })
    }
    await restartMember(options.clients.get(member.region)!, member)
    restarted.push(member.host)
    steps.push({host: member.host, region: member.region, role, ...(role === 'primary' ? {steppedDown: successor} : {})})
    options.onProgress?.(`${topology.set}: restarted ${role} ${member.host} on ${options.image}`)
    current = await until(deadline, `${member.host} to be SECONDARY and caught up`, async () => {
      const s = await readStatus(jobs, options, deadline)
      const m = s.members?.find((x) => x.host === member.host)
      return m && (m.state === 'SECONDARY' || m.state === 'PRIMARY') && (m.lagSeconds ?? 0) <= (options.maxLagSeconds ?? 10) && s.primary ? s : undefined
    })
  }
  return {restarted, steps, primaryBefore, primaryAfter: current.primary ?? null}
}

/** Members whose pod is not on the StatefulSet's update revision (controller-revision-hash). */
async function staleMembers(clients: ReadonlyMap<string, KubeApi>, topology: ReplicaSetTopology): Promise<ReplicaSetMember[]> {
  const stale: ReplicaSetMember[] = []
  for (const [region, client] of clients) {
    let set = await client.get('apps/v1', 'StatefulSet', topology.set, NAMESPACES.data)
    // Just applied: let the controller observe the new template before trusting updateRevision.
    for (let i = 0; i < 25 && set && ((set.status as {observedGeneration?: number} | undefined)?.observedGeneration ?? 0) < (set.metadata.generation ?? 0); i++) {
      await sleep(200)
      set = await client.get('apps/v1', 'StatefulSet', topology.set, NAMESPACES.data)
    }
    const revision = (set?.status as {updateRevision?: string} | undefined)?.updateRevision
    if (!set || !revision) continue
    for (const member of topology.members.filter((m) => m.region === region)) {
      const pod = await client.get<KubeObject>('v1', 'Pod', member.pod, NAMESPACES.data)
      if (pod && pod.metadata.labels?.['controller-revision-hash'] !== revision) stale.push(member)
    }
  }
  return stale
}

/** Deletes the member's pod and waits for the StatefulSet to recreate it (same name, new uid). */
async function restartMember(client: KubeApi, member: ReplicaSetMember): Promise<void> {
  const before = await client.get('v1', 'Pod', member.pod, NAMESPACES.data)
  await client.delete({apiVersion: 'v1', kind: 'Pod', name: member.pod, namespace: NAMESPACES.data})
  for (;;) {
    const pod = await client.get('v1', 'Pod', member.pod, NAMESPACES.data)
    if (pod && pod.metadata.uid !== before?.metadata.uid) return
    await sleep(200)
  }
}

async function readStatus(client: KubeApi, options: UpgradeOptions, deadline: number): Promise<StatusResult> {
  const {topology} = options
  const outcome = await runDatabaseOperation(client, {
    database: topology.set,
    op: 'status',
    params: {maxLagSeconds: options.maxLagSeconds ?? 10},
    connection: replicaSetConnection(topology.set, topology.members.map((m) => m.host), {readPreference: 'primaryPreferred'}),
    image: options.image,
    timeoutMs: remaining(deadline),
  })
  return outcome.result
}

const remaining = (deadline: number) => Math.max(1000, deadline - Date.now())

async function until<T>(deadline: number, what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new TimeoutError(`timed out waiting for ${what}`, {hint: 're-run the same command: members already updated are left alone'})
    await sleep(300)
  }
}
