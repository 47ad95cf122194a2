import type {KubeApi} from '../kube/api.js'
import type {EnvironmentConnection} from './connect.js'
import {type EnvironmentRecord, readRecord} from './record.js'

/**
 * Which regions of a connected environment answer, and the newest record among them. After a
 * forced failover the lost region keeps its stale record (active region = itself) until it is
 * fenced, so the record of the connection's first region is not to be trusted: every region that
 * answers is read and the newest `updatedAt` wins. A region that does not answer is skipped.
 * Shared by the failover session and the backup commands.
 */
export async function newestRecordOfReachable(connection: EnvironmentConnection, probeTimeoutMs = 3000): Promise<{record: EnvironmentRecord; reachable: Set<string>}> {
  const reachable = new Set<string>()
  await Promise.all(
    [...connection.clients].map(async ([region, client]) => {
      if ((await client.reachable({timeoutMs: probeTimeoutMs})).reachable) reachable.add(region)
    }),
  )
  let record = connection.record
  for (const region of reachable) {
    const found = await readRecord(connection.clients.get(region) as KubeApi)
    if (found && found.updatedAt > record.updatedAt) record = found
  }
  return {record, reachable}
}
