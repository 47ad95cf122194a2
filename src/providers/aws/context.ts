import type {EnvironmentSpec} from '../../config/types.js'
import type {Progress} from '../types.js'
import type {AwsRegionClients} from './clients.js'
import {awsClusterName, environmentTags} from './names.js'

/** How long the SDK waiters may wait, and how often they poll. */
export interface WaitSettings {
  maxWaitSeconds: number
  minDelaySeconds: number
}

/** Everything the steps of one region need: who, where, which clients, how to report. */
export interface RegionContext {
  env: EnvironmentSpec
  region: string
  role: 'primary' | 'secondary'
  clusterName: string
  /** The tags every resource created for this cluster carries. */
  tags: Record<string, string>
  clients: AwsRegionClients
  progress: Progress
  wait: WaitSettings
}

export function regionContext(
  env: EnvironmentSpec,
  region: string,
  role: 'primary' | 'secondary',
  clients: AwsRegionClients,
  progress: Progress,
  wait: WaitSettings,
): RegionContext {
  return {env, region, role, clusterName: awsClusterName(env.name, region), tags: environmentTags(env, region, role), clients, progress, wait}
}

/** The regions of an environment with their role, primary first. */
