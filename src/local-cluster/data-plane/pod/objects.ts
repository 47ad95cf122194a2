import type {KubeObject} from '../../../kube/types.js'
import type {LocalObjectStore} from '../../store/object-store.js'

const SECRETS = {group: '', resource: 'secrets'}
const CONFIGMAPS = {group: '', resource: 'configmaps'}

/** Secret and ConfigMap contents as a container sees them (Secret data decoded from base64). */
export interface ObjectReader {
  secret(namespace: string, name: string): Record<string, string> | undefined
  configMap(namespace: string, name: string): Record<string, string> | undefined
}

export function storeObjects(store: LocalObjectStore): ObjectReader {
  return {
    secret(namespace, name) {
      const secret = store.getShared(SECRETS, namespace, name)
      return secret ? secretData(secret) : undefined
    },
    configMap(namespace, name) {
      const configMap = store.getShared(CONFIGMAPS, namespace, name)
      return configMap ? {...((configMap.data as Record<string, string> | undefined) ?? {})} : undefined
    },
  }
}

export function secretData(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries((secret.data as Record<string, string> | undefined) ?? {})) out[key] = Buffer.from(value, 'base64').toString('utf8')
  for (const [key, value] of Object.entries((secret.stringData as Record<string, string> | undefined) ?? {})) out[key] = value
  return out
}
