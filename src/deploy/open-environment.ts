import {connectEnvironment, type EnvironmentConnection} from '../env/connect.js'
import {prometheusFor} from '../analysis/cluster-prometheus.js'
import type {EnvironmentContext} from '../strategies/run-service.js'

/**
 * Connects to an environment for rollouts: the active region's cluster carries the traffic, the
 * rollout record, the lease and the audit trail; every region's record learns the new version.
 */
export async function openEnvironment(name: string): Promise<{context: EnvironmentContext; connection: EnvironmentConnection}> {
  const connection = await connectEnvironment(name)
  const {record, primary} = connection
  return {
    connection,
    context: {
      name: record.name,
      registry: record.spec.registry,
      mesh: record.spec.mesh,
      client: primary,
      allClients: [...connection.clients.values()],
      standby: new Map([...connection.clients].filter(([region]) => region !== record.activeRegion)),
      prometheus: prometheusFor(primary),
    },
  }
}
