import {createHash} from 'node:crypto'

import type {EnvironmentSpec} from '../config/types.js'
import {UsageError} from '../errors.js'

/** The regions of an environment with their roles, primary first. */
export function environmentRegions(env: EnvironmentSpec): Array<{region: string; role: 'primary' | 'secondary'}> {
  const regions: Array<{region: string; role: 'primary' | 'secondary'}> = [{region: env.regions.primary, role: 'primary'}]
  if (env.regions.secondary) regions.push({region: env.regions.secondary, role: 'secondary'})
  return regions
}

/** Every provider needs its secondary region to be another one than the primary: the one check. */
export function checkDistinctRegions(regions: {primary: string; secondary?: string}): void {
  if (regions.secondary !== undefined && regions.secondary === regions.primary) {
    throw new UsageError(`--secondary-region "${regions.secondary}" is the same as the primary region`, {
      hint: 'pick a different region for disaster recovery, or leave it out',
    })
  }
}

/**
 * Keeps a name within a cloud's length limit (IAM role names: 64, GKE clusters: 40) while staying
 * unique: a long name is cut and ends with a short hash of the full name.
 */
export function boundedName(name: string, max: number): string {
  if (name.length <= max) return name
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8)
  return `${name.slice(0, max - hash.length - 1)}-${hash}`
}
