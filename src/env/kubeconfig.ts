import {mygateHome} from '../home.js'
import {providerFor} from '../providers/registry.js'
import {connectEnvironment} from './connect.js'
import {annotateKubeconfig} from './kubeconfig-extension.js'

export interface EnvironmentKubeconfig {
  environment: string
  path: string
  /** region -> context */
  contexts: Record<string, string>
}

/**
 * Rewrites the environment's kubeconfig from its record (fresh endpoints and credentials from the
 * provider) and returns where it is. The cached copy is what reaches the record, so an environment
 * known to this machine can always be refreshed.
 */
export async function environmentKubeconfig(name: string, options: {home?: string} = {}): Promise<EnvironmentKubeconfig> {
  const home = options.home ?? mygateHome()
  const connection = await connectEnvironment(name, {home, tolerateUnreachable: true})
  connection.close()
  const provider = await providerFor(connection.record.provider, {home})
  const ref = await provider.writeKubeconfig(connection.record.spec, connection.record.clusters)
  await annotateKubeconfig(ref.path, {spec: connection.record.spec, infraOnly: false})
  return {environment: name, path: ref.path, contexts: ref.contexts}
}
