import type {EnvironmentSpec} from '../../config/types.js'
import type {CloudFailoverAccess} from '../cloud-failover.js'
import {type AwsClientConfig, type AwsRegionClients, createRegionClients, destroyRegionClients} from './clients.js'
import {closeAwsFence, openAwsFence, planAwsFence} from './fence.js'
import {awsClusterName} from './names.js'
import {readNodegroups, resizeNodegroup} from './nodegroup-scaling.js'

/** The failover's AWS side (cloud-failover.ts): one set of SDK clients per region, made when first used. */
export async function openAwsFailoverAccess(spec: EnvironmentSpec, config: AwsClientConfig = {}): Promise<CloudFailoverAccess> {
  const clients = new Map<string, Promise<AwsRegionClients>>()
  const regionClients = (region: string) => {
    let found = clients.get(region)
    if (!found) clients.set(region, (found = createRegionClients(region, config)))
    return found
  }
  return {
    provider: 'aws',
    nodeGroups: {
      read: async (region, names) => readNodegroups(await regionClients(region), awsClusterName(spec.name, region), names),
      resize: async (region, name, size) => resizeNodegroup(await regionClients(region), awsClusterName(spec.name, region), name, size),
    },
    fence: {
      plan: async (region) => planAwsFence(await regionClients(region), spec.name, region),
      close: async (region, parts) => void (await closeAwsFence(await regionClients(region), parts)),
      open: async (region, parts) => void (await openAwsFence(await regionClients(region), parts)),
    },
    async close() {
      for (const pending of clients.values()) destroyRegionClients(await pending)
    },
  }
}
