import {loadProjectConfig} from '../config/load-project-config.js'
import {NotFoundError} from '../errors.js'
import {tierForGuard} from '../guards/confirmation-rule.js'
import {mygateHome} from '../home.js'
import {cachedKubeconfigPath} from './connect.js'
import {environmentFromKubeconfig} from './kubeconfig-extension.js'
import {listEnvironments, type EnvironmentSummary} from './list.js'

/** An environment `mygate env destroy` is about to remove, with the tier its guard decides on. */
export interface DestroyTarget {
  name: string
  /** Undefined when neither the cluster nor the cached kubeconfig says: treated as production. */
  tier?: string
}

export interface FindDestroyTargetsOptions {
  /** One environment by name, or (with `expired`) every environment whose TTL has run out. */
  name?: string
  expired: boolean
  /** mygate.yaml to read (for --expired). */
  configPath?: string
  home?: string
}

/**
 * The environments to destroy and their tiers. The tier comes from the record this machine holds
 * (the spec cached in the environment's kubeconfig), so an environment whose clusters do not
 * answer keeps its tier: reading it from the live listing alone made an unreachable prod
 * environment look tierless, and `--yes` alone destroyed it (issue 9).
 */
export async function findDestroyTargets(options: FindDestroyTargetsOptions): Promise<DestroyTarget[]> {
  const home = options.home ?? mygateHome()
  let rows: EnvironmentSummary[]
  if (options.expired) {
    const config = await loadProjectConfig({configPath: options.configPath})
    rows = (await listEnvironments({config, home})).filter((e) => e.expired)
  } else {
    const known = (await listEnvironments({home})).find((e) => e.name === options.name && e.status !== 'configured')
    if (!known) throw new NotFoundError(`environment "${options.name}" not found`, {hint: 'see `mygate env list` for the environments this machine knows'})
    rows = [known]
  }
  return Promise.all(
    rows.map(async (row) => {
      const cached = await environmentFromKubeconfig(cachedKubeconfigPath(row.name, home))
      return {name: row.name, tier: tierForGuard(cached?.spec.tier, row.status === 'created' ? row.tier : undefined)}
    }),
  )
}
