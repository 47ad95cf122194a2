/**
 * Deterministic names of an environment's backup site in each region: the bucket, the key that
 * encrypts it, the identity the backup Jobs use. Derived, never stored, so a second machine (or a
 * new environment restoring an old one's backups) finds them from the environment's name alone.
 */

/** The region's bucket (S3 and GCS bucket names: 3-63 characters, lower case). */
export function backupBucketName(environment: string, region: string): string {
  return `mygate-${environment}-${region}-backups`.toLowerCase().slice(0, 63)
}

/** The region's KMS key alias on aws (KMS keys and aliases are regional). */
export function awsBackupKeyAlias(environment: string, region: string): string {
  return `alias/mygate-${environment}-${region}-backups`
}

/** The Cloud KMS key ring and key of a region on gcp (GCS requires the key in the bucket's location). */
export function gcpBackupKeyName(project: string, environment: string, region: string): {keyRing: string; key: string} {
  const keyRing = `projects/${project}/locations/${region}/keyRings/mygate-${environment}-backups`
  return {keyRing, key: `${keyRing}/cryptoKeys/mygate-${environment}-${region}-backups`}
}

/**
 * The Google service account backup Jobs impersonate through Workload Identity. Account ids are
 * 6-30 characters, so a long environment name is cut and ends in a short hash.
 */
export function gcpBackupServiceAccountId(environment: string): string {
  const id = `mygate-backup-${environment}`.toLowerCase()
  if (id.length <= 30) return id
  let hash = 0
  for (const c of id) hash = (hash * 31 + c.charCodeAt(0)) >>> 0
  return `${id.slice(0, 23)}-${hash.toString(36).slice(0, 6)}`
}

/** What env create made for one region's backups, recorded with the cluster (EnvironmentRecord.clusters). */
export interface BackupSiteHandle {
  bucket: string
  /** KMS key ARN (aws) or Cloud KMS key name (gcp). */
  encryptionKey: string
  /** Annotations of the `mygate-backup` ServiceAccount that bind it to the cloud identity. */
  serviceAccountAnnotations: Record<string, string>
}
