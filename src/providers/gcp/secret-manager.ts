import {ExternalError, NotFoundError, UsageError} from '../../errors.js'
import type {SecretStore, SecretStoreEntry} from '../../secrets/secret-store.js'
import {isMissingGoogleCredentials, noGoogleCredentialsError} from './errors.js'

/**
 * Google Secret Manager as a source of external secrets, over its REST API
 * (https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/access):
 * `GET /v1/projects/P/secrets/S/versions/V:access` answers `{name, payload: {data: BASE64}}`.
 * An id is `projects/P/secrets/S/versions/V`, `projects/P/secrets/S` (version `latest`) or a bare
 * `S` in the environment's project. The access token comes from Application Default Credentials
 * through the auth client @google-cloud/container already carries (no second Google SDK).
 */

export interface SecretManagerStoreOptions {
  /** The environment's project (`gcp.project`), for bare secret names. */
  project?: string
  /** Default https://secretmanager.googleapis.com; tests point it at a local fake. */
  endpoint?: string
  /** Default: an OAuth2 access token from Application Default Credentials. */
  accessToken?: () => Promise<string>
}

const FULL = /^projects\/([^/]+)\/secrets\/([^/]+)(?:\/versions\/([^/]+))?$/
const BARE = /^[A-Za-z0-9_-]{1,255}$/

/** Pure: an id as a user writes it -> the version resource to access. */
export function secretVersionName(id: string, project?: string): string {
  const full = FULL.exec(id)
  if (full) return `projects/${full[1]}/secrets/${full[2]}/versions/${full[3] ?? 'latest'}`
  if (!BARE.test(id)) {
    throw new UsageError(`"${id}" is not a Secret Manager secret: use projects/PROJECT/secrets/NAME[/versions/VERSION] or a bare NAME`, {
      hint: 'see `gcloud secrets list`',
    })
  }
  if (!project) throw new UsageError(`secret "${id}" needs a project`, {hint: 'give the full name projects/PROJECT/secrets/NAME, or set gcp.project for the environment'})
  return `projects/${project}/secrets/${id}/versions/latest`
}

async function defaultAccessToken(): Promise<string> {
  const {ClusterManagerClient} = await import('@google-cloud/container')
  const client = new ClusterManagerClient()
  try {
    const token = await client.auth.getAccessToken()
    if (!token) throw new Error('Could not load the default credentials')
    return token
  } finally {
    await client.close()
  }
}

export function createSecretManagerStore(options: SecretManagerStoreOptions = {}): SecretStore {
  const endpoint = (options.endpoint ?? 'https://secretmanager.googleapis.com').replace(/\/$/, '')
  return {
    kind: 'gcp-secret-manager',
    async read(id: string): Promise<SecretStoreEntry> {
      const name = secretVersionName(id, options.project)
      let token: string
      try {
        token = await (options.accessToken ?? defaultAccessToken)()
      } catch (error) {
        if (isMissingGoogleCredentials(error)) throw noGoogleCredentialsError(error)
        throw new ExternalError(`cannot get a Google Cloud access token: ${(error as Error).message.split('\n')[0]}`, {hint: 'run `gcloud auth application-default login`'})
      }
      let response: Response
      try {
        response = await fetch(`${endpoint}/v1/${name}:access`, {headers: {Authorization: `Bearer ${token}`, Accept: 'application/json'}})
      } catch (error) {
        throw new ExternalError(`cannot reach Google Secret Manager at ${endpoint} (${(error as Error).message})`, {hint: 'check the network and re-run'})
      }
      const body = (await response.json().catch(() => ({}))) as {name?: string; payload?: {data?: string}; error?: {status?: string; message?: string}}
      if (response.status === 404) {
        throw new NotFoundError(`Google Secret Manager has no ${name}`, {hint: 'check the name with `gcloud secrets versions list NAME`'})
      }
      if (!response.ok) {
        // Google's error messages name the resource and the permission, never the payload.
        throw new ExternalError(`Google Secret Manager access to ${name} failed: ${body.error?.status ?? response.status}: ${body.error?.message ?? ''}`.trim(), {
          hint: 'the account needs roles/secretmanager.secretAccessor on the secret',
        })
      }
      return {reference: body.name ?? name, value: Buffer.from(body.payload?.data ?? '', 'base64')}
    },
  }
}
