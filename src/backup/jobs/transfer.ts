/**
 * How a backup Job moves its one archive file between the pod and the region's object store.
 * The pod authenticates as its Kubernetes service account through the cloud's workload identity
 * (IRSA on EKS: the account's `eks.amazonaws.com/role-arn` annotation; Workload Identity on GKE:
 * `iam.gke.io/gcp-service-account`), so neither an access key nor a key file is ever in the Job.
 * Each provider's own CLI does the copy with its documented flags:
 * - aws: `aws s3 cp FILE s3://BUCKET/KEY --sse aws:kms --sse-kms-key-id KEY` (the region's KMS key);
 * - gcp: `gcloud storage cp FILE gs://BUCKET/KEY --encryption-key=KEY` (customer-managed key);
 * - local: the store lives beside the local control plane (under MYGATE_HOME); its simulated
 *   kubelet runs `mygate-local-store put|get` against it (a simulation: no such image exists).
 */
export type StoreProvider = 'local' | 'aws' | 'gcp'

/** Where an archive is kept: a bucket of one region, an object key, the key that encrypts it. */
export interface ArchiveLocation {
  provider: StoreProvider
  bucket: string
  key: string
  /** KMS key ARN (aws) or Cloud KMS key name (gcp); the local store has its own key. */
  encryptionKey?: string
}

export interface TransferContainer {
  image: string
  serviceAccount: string
  upload: string[]
  download: string[]
}

/** The service account backup Jobs run as (bound to the cloud identity that may use the bucket). */
export const BACKUP_SERVICE_ACCOUNT = 'mygate-backup'

export const TRANSFER_IMAGES: Record<StoreProvider, string> = {
  aws: 'amazon/aws-cli:2.22.35',
  gcp: 'gcr.io/google.com/cloudsdktool/google-cloud-cli:502.0.0-slim',
  local: 'mygate/local-store:1',
}

export const LOCAL_STORE_PROGRAM = 'mygate-local-store'

export function archiveUrl(location: ArchiveLocation): string {
  const scheme = location.provider === 'aws' ? 's3' : location.provider === 'gcp' ? 'gs' : 'local'
  return `${scheme}://${location.bucket}/${location.key}`
}

/** The transfer container's commands for one archive at `path` inside the pod. */
export function transferContainer(location: ArchiveLocation, path: string): TransferContainer {
  const url = archiveUrl(location)
  const base = {image: TRANSFER_IMAGES[location.provider], serviceAccount: BACKUP_SERVICE_ACCOUNT}
  switch (location.provider) {
    case 'aws': {
      const encryption = location.encryptionKey ? ['--sse', 'aws:kms', '--sse-kms-key-id', location.encryptionKey] : ['--sse', 'aws:kms']
      return {...base, upload: ['aws', 's3', 'cp', path, url, ...encryption, '--only-show-errors'], download: ['aws', 's3', 'cp', url, path, '--only-show-errors']}
    }
    case 'gcp': {
      const encryption = location.encryptionKey ? [`--encryption-key=${location.encryptionKey}`] : []
      return {...base, upload: ['gcloud', 'storage', 'cp', path, url, ...encryption], download: ['gcloud', 'storage', 'cp', url, path]}
    }
    case 'local':
      return {...base, upload: [LOCAL_STORE_PROGRAM, 'put', path, url], download: [LOCAL_STORE_PROGRAM, 'get', url, path]}
  }
}
