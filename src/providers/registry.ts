import type {ServiceDescriptor} from '../catalog/types.js'
import type {ProviderName} from '../config/types.js'
import type {ClusterProvider} from './types.js'

/**
 * The one place that maps a provider name to its implementation. Cloud SDKs load only when their
 * provider is asked for, so `mygate env create` on local never imports them.
 */
export async function providerFor(name: ProviderName, options: {services?: ServiceDescriptor[]; home?: string} = {}): Promise<ClusterProvider> {
  switch (name) {
    case 'local': {
      const {createLocalProvider} = await import('./local/local-provider.js')
      return createLocalProvider({home: options.home})
    }
    case 'aws': {
      const {createAwsProvider} = await import('./aws/index.js')
      return createAwsProvider({services: options.services})
    }
    case 'gcp': {
      const {createGcpProvider} = await import('./gcp/index.js')
      return createGcpProvider({services: options.services})
    }
    case 'kubeconfig': {
      const {createKubeconfigProvider} = await import('./kubeconfig/index.js')
      return createKubeconfigProvider()
    }
  }
}
