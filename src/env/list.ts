import {readdir} from 'node:fs/promises'
import {join} from 'node:path'

import type {ProjectConfig} from '../config/types.js'
import {mygateHome} from '../home.js'
import {connectEnvironment} from './connect.js'
import {environmentFromKubeconfig} from './kubeconfig-extension.js'
import {isExpired} from './record.js'

/** One row of `mygate env list --json`. */
export interface EnvironmentSummary {
  name: string
  /** created: has a record in its cluster; configured: only in mygate.yaml; unreachable: cached, cluster not answering. */
  status: 'created' | 'configured' | 'unreachable'
  provider?: string
  tier?: string
  regions?: {primary: string; secondary?: string}
  activeRegion?: string
  phase?: string
  createdAt?: string
  expiresAt?: string
  expired: boolean
  /** Why the cluster could not be read (status unreachable). */
  error?: string
}

/** Environments this machine can reach (cached kubeconfigs) plus those only declared in mygate.yaml. */
export async function listEnvironments(options: {config?: ProjectConfig; home?: string; now?: number} = {}): Promise<EnvironmentSummary[]> {
  const home = options.home ?? mygateHome()
  const now = options.now ?? Date.now()
  const cached = await readdir(join(home, 'kubeconfig')).catch(() => [] as string[])
  const names = cached.filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length))
  const rows = await Promise.all(
    names.map(async (name): Promise<EnvironmentSummary> => {
      const cached = await environmentFromKubeconfig(join(home, 'kubeconfig', `${name}.yaml`))
      if (cached?.infraOnly) {
        const s = cached.spec
        // No record in its clusters: the TTL is the one its kubeconfig carries.
        return {
          name,
          status: 'created',
          provider: s.provider,
          tier: s.tier,
          regions: s.regions,
          activeRegion: s.regions.primary,
          phase: 'infra-only',
          ...(cached.createdAt ? {createdAt: cached.createdAt} : {}),
          ...(cached.expiresAt ? {expiresAt: cached.expiresAt} : {}),
          expired: isExpired(cached, now),
        }
      }
      try {
        const connection = await connectEnvironment(name, {home, tolerateUnreachable: true, timeoutMs: 5_000})
        connection.close()
        const r = connection.record
        return {
          name,
          status: 'created',
          provider: r.provider,
          tier: r.spec.tier,
          regions: r.spec.regions,
          activeRegion: r.activeRegion,
          phase: r.phase,
          createdAt: r.createdAt,
          ...(r.expiresAt ? {expiresAt: r.expiresAt} : {}),
          expired: isExpired(r, now),
        }
      } catch (error) {
        return {name, status: 'unreachable', expired: false, error: (error as Error).message}
      }
    }),
  )
  for (const env of options.config?.environments ?? []) {
    if (names.includes(env.name)) continue
    rows.push({name: env.name, status: 'configured', provider: env.provider, tier: env.tier, regions: env.regions, expired: false})
  }
  return rows.sort((a, b) => a.name.localeCompare(b.name))
}
