import type {EnvironmentSpec} from '../../config/types.js'
import {UsageError} from '../../errors.js'
import {boundedName} from '../naming.js'

/** Deterministic GKE names and labels. GCP labels allow only [a-z0-9_-], hence the dashes. */

export const LABEL = {
  environment: 'mygate-environment',
  region: 'mygate-region',
  managedBy: 'mygate-managed-by',
  tier: 'mygate-tier',
  provider: 'mygate-provider',
  role: 'mygate-role',
} as const

export const DEFAULT_GKE_VERSION = '1.31'

/** GKE cluster names are at most 40 characters: a long one is cut and ends with a hash. */
export function gkeClusterName(envName: string, location: string): string {
  return boundedName(`mygate-${envName}-${location}`, 40)
}

/** The kubeconfig context (and cluster/user entry) name, like the other providers: mygate-ENV-REGION. */
export function gkeContextName(envName: string, location: string): string {
  return `mygate-${envName}-${location}`
}

export function gkeLabels(env: EnvironmentSpec, location: string, role: 'primary' | 'secondary'): Record<string, string> {
  return {
    [LABEL.environment]: env.name,
    [LABEL.region]: location,
    [LABEL.managedBy]: 'mygate',
    [LABEL.tier]: env.tier,
    [LABEL.provider]: 'gcp',
    [LABEL.role]: role,
  }
}

export function isOwnedBy(labels: Record<string, string> | null | undefined, envName: string): boolean {
  return labels?.[LABEL.managedBy] === 'mygate' && labels?.[LABEL.environment] === envName
}

/** A region (europe-west1: regional cluster) or a zone (europe-west1-b: zonal cluster). */
export const GCP_LOCATION_PATTERN = /^[a-z]+-[a-z]+\d+(-[a-z])?$/
/** Project IDs: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter. */
export const GCP_PROJECT_PATTERN = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/

/** The project: the environment's gcp.project, else GOOGLE_CLOUD_PROJECT, else gcloud's core/project. */
export function resolveProject(env: EnvironmentSpec, processEnv: NodeJS.ProcessEnv): string {
  const project = env.gcp?.project ?? processEnv.GOOGLE_CLOUD_PROJECT ?? processEnv.CLOUDSDK_CORE_PROJECT
  if (!project) {
    throw new UsageError(`environment ${env.name} names no GCP project`, {
      hint: 'set gcp.project in the environment file, or GOOGLE_CLOUD_PROJECT (gcloud config set project also works via CLOUDSDK_CORE_PROJECT)',
    })
  }
  if (!GCP_PROJECT_PATTERN.test(project)) {
    throw new UsageError(`GCP project "${project}" is not a project ID`, {
      hint: 'use the project ID (6-30 lowercase letters, digits, hyphens), not its display name or number',
    })
  }
  return project
}
