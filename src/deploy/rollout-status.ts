import {connectEnvironment} from '../env/connect.js'
import {NotFoundError} from '../errors.js'
import {summarizeRollout} from '../rollout/summary.js'
import {isTerminal, type RolloutState} from '../rollout/state.js'
import {holdingOf} from '../locks/lease.js'
import {leaseName, ROLLOUT_NAMESPACE} from '../rollout/names.js'
import {readRollout, type StoredRollout} from '../strategies/rollout-store.js'

/** What `mygate rollout status` reports. */
export interface RolloutStatus {
  service: string
  environment: string
  state: RolloutState
  /** Who drives it right now (live lease holder), if anyone. */
  drivenBy?: string
  lines: string[]
}

export function statusFrom(stored: StoredRollout, environment: string, drivenBy: string | undefined): RolloutStatus {
  const lines = summarizeRollout(stored.state)
  if (!isTerminal(stored.state)) lines.push(`driver:   ${drivenBy ?? 'nobody (run `mygate rollout resume` to continue it)'}`)
  return {service: stored.state.service, environment, state: stored.state, drivenBy, lines}
}

/**
 * `mygate rollout status` (its plain form is also the CLI's fast path, src/cli/fast-path.ts): the
 * environment record, then the rollout record and the lease from the active region, over one
 * connection opened once. Only "no rollout recorded" is turned into its own answer; every other
 * failure speaks for itself.
 */
export async function rolloutStatus(service: string, environment: string): Promise<RolloutStatus> {
  const connection = await connectEnvironment(environment)
  try {
    const client = connection.primary
    const [stored, lease] = await Promise.all([
      readRollout(client, service),
      client.get('coordination.k8s.io/v1', 'Lease', leaseName(service), ROLLOUT_NAMESPACE),
    ])
    if (stored === undefined) {
      throw new NotFoundError(`no rollout of ${service} has been recorded in ${environment}`, {
        hint: `start one with \`mygate deploy ${service} --env ${environment} --version V\``,
      })
    }
    return statusFrom(stored, connection.record.name, isTerminal(stored.state) ? undefined : holdingOf(lease)?.holder)
  } finally {
    connection.close()
  }
}
