import {connectEnvironment, type EnvironmentConnection} from '../env/connect.js'
import {newestRecordOfReachable} from '../env/newest-record.js'
import type {EnvironmentRecord} from '../env/record.js'
import type {KubeApi} from '../kube/api.js'
import {type CloudAccessOptions, type CloudFailoverAccess, openCloudFailoverAccess} from '../providers/cloud-failover.js'
import {openEnvironmentTraffic, type EnvironmentTraffic} from '../traffic-dns/environment-traffic.js'

/**
 * What every failover command works with: the environment's clients, which regions answer now,
 * and the freshest record. After a forced failover the lost region keeps its stale record (active
 * region = itself) until it is fenced and written back; `connectEnvironment` takes the first
 * record it finds, so this module re-reads every region that answers and keeps the newest.
 */

export interface FailoverSession {
  connection: EnvironmentConnection
  record: EnvironmentRecord
  /** Regions whose API server answered the probe. */
  reachable: Set<string>
  client(region: string): KubeApi
  traffic(): Promise<EnvironmentTraffic>
  /** The cloud's node groups and fence (aws, gcp), opened when first asked for; undefined elsewhere. */
  cloud(): Promise<CloudFailoverAccess | undefined>
  close(): Promise<void>
}

export interface OpenSessionOptions {
  home?: string
  /** Time-out of each region's reachability probe (default 3 s). */
  probeTimeoutMs?: number
  /** Cloud endpoints and credentials (tests: moto, the GKE fake); default: the SDKs' own. */
  cloud?: CloudAccessOptions
}

export async function openFailoverSession(envName: string, options: OpenSessionOptions = {}): Promise<FailoverSession> {
  const connection = await connectEnvironment(envName, {home: options.home, tolerateUnreachable: true})
  try {
    const {record, reachable} = await newestRecordOfReachable(connection, options.probeTimeoutMs)
    let traffic: Promise<EnvironmentTraffic> | undefined
    let cloud: Promise<CloudFailoverAccess | undefined> | undefined
    return {
      connection,
      record,
      reachable,
      client(region) {
        const client = connection.clients.get(region)
        if (!client) throw new Error(`no client for region ${region}`)
        return client
      },
      traffic: () => (traffic ??= openEnvironmentTraffic(record, {home: options.home})),
      cloud: () => (cloud ??= openCloudFailoverAccess(record.spec, options.cloud)),
      async close() {
        if (traffic) await (await traffic.catch(() => undefined))?.close()
        if (cloud) await (await cloud.catch(() => undefined))?.close()
        connection.close()
      },
    }
  } catch (error) {
    connection.close()
    throw error
  }
}
