import {ConflictError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import {readRecord, writeRecord} from '../env/record.js'

/**
 * Records the version a service now runs in the environment record (versions[service]), in every
 * region's cluster, so `env describe` and later renders agree with what the rollout left running.
 * A failure here does not undo the rollout: the caller reports it as bookkeeping (src/strategies/bookkeeping.ts).
 */
export async function recordDeployedVersion(clients: Iterable<KubeApi>, service: string, version: string): Promise<void> {
  for (const client of clients) {
    for (let attempt = 1; ; attempt++) {
      const record = await readRecord(client)
      if (record === undefined) break
      if (record.versions[service] === version) break
      try {
        await writeRecord(client, {...record, versions: {...record.versions, [service]: version}, updatedAt: new Date().toISOString()})
        break
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= 3) throw error
      }
    }
  }
}
