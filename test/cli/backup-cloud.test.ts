import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {putBaseBackup} from '../../src/backup/catalog/catalog-store.js'
import {S3ObjectStore} from '../../src/backup/storage/s3-store.js'
import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'
import {startMoto, type MotoServer} from '../helpers/moto.js'
import {findOnPath} from '../helpers/programs.js'
import {testBackup} from '../unit/backup/catalog-builders.js'

/**
 * Backups of an aws environment through the built CLI against moto, checked with the aws CLI:
 * `backup list` reads the environment's S3 bucket (a catalog entry seeded there is listed), `env
 * destroy` keeps the bucket and key and says so, `--delete-backups` needs the typed name (without
 * a terminal: --confirm NAME) and then deletes them.
 */
describe('backups of an aws environment (moto + aws CLI)', () => {
  let moto: MotoServer
  let local: LocalHome
  let awsEnv: Record<string, string>
  const region = 'us-east-1'

  const aws = async (...args: string[]) => {
    const result = await execa(findOnPath('aws')!, [...args, '--endpoint-url', moto.endpoint, '--region', region, '--output', 'json'], {env: awsEnv, reject: false})
    return {exitCode: result.exitCode, json: result.exitCode === 0 && String(result.stdout).trim() ? (JSON.parse(String(result.stdout)) as Record<string, unknown>) : {}}
  }
  const create = async (name: string) => {
    const run = await local.cli(['env', 'create', name, '--provider', 'aws', '--region', region, '--tier', 'staging', '--infra-only'], {env: awsEnv})
    expect(run.exitCode, run.stderr).toBe(0)
    expect((await aws('s3api', 'head-bucket', '--bucket', `mygate-${name}-${region}-backups`)).exitCode).toBe(0)
  }

  beforeAll(async () => {
    if (!findOnPath('aws')) throw new Error('the aws CLI is not on PATH: it is the independent check of the buckets')
    moto = await startMoto()
    local = createLocalHome()
    awsEnv = {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
    }
  }, 60_000)
  afterAll(async () => {
    await local?.cleanup()
    await moto?.stop()
  })

  test('backup list reads the S3 bucket; destroy keeps it; --delete-backups needs the typed name', async () => {
    await create('bk')
    const store = await S3ObjectStore.open({region, bucket: `mygate-bk-${region}-backups`, kmsKeyAlias: `alias/mygate-bk-${region}-backups`, client: {endpoint: moto.endpoint, credentials: moto.credentials}})
    const {archive: _a, encryptionKeyId: _k, verifications: _v, ...draft} = testBackup({last: '1796281200:1'})
    const seeded = await putBaseBackup(store, {...draft, region}, Buffer.from('an archive'))
    store.destroy()

    const listed = await local.cli(['backup', 'list', '--env', 'bk', '--json'], {env: awsEnv})
    expect(listed.exitCode, listed.stderr).toBe(0)
    const result = parseEnvelope<{result: {store: string; region: string; backups: Array<{id: string; service: string; bytes: number}>}}>(listed.stdout).result
    expect(result.store).toBe(`s3://mygate-bk-${region}-backups`)
    expect(result.backups).toEqual([expect.objectContaining({id: seeded.id, service: seeded.service, bytes: 10})])

    // No terminal: --yes is not enough to delete backups, and nothing is destroyed.
    const refused = await local.cli(['env', 'destroy', 'bk', '--delete-backups', '--yes'], {env: awsEnv})
    expect(refused.exitCode).not.toBe(0)
    expect(expectOneLineError(refused)).toMatch(/--yes alone is not enough for destroying environment bk with its backups: it deletes the backups.*--confirm bk/)
    expect((await aws('eks', 'list-clusters')).json.clusters).toContain(`mygate-bk-${region}`)

    const destroyed = await local.cli(['env', 'destroy', 'bk', '--yes', '--json'], {env: awsEnv})
    expect(destroyed.exitCode, destroyed.stderr).toBe(0)
    const kept = parseEnvelope<{result: {destroyed: Array<{kept: Array<{resource: string}>}>}}>(destroyed.stdout).result.destroyed[0].kept.map((k) => k.resource)
    expect(kept).toEqual([`backup bucket s3://mygate-bk-${region}-backups`, `KMS key alias/mygate-bk-${region}-backups in ${region}`])
    expect((await aws('s3api', 'head-object', '--bucket', `mygate-bk-${region}-backups`, '--key', seeded.archive.key)).json).toMatchObject({ServerSideEncryption: 'aws:kms'})
  }, 240_000)

  test('destroy --delete-backups --confirm NAME deletes the bucket and schedules the key for deletion', async () => {
    await create('bk2')
    const run = await local.cli(['env', 'destroy', 'bk2', '--delete-backups', '--confirm', 'bk2'], {env: awsEnv})
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/Result: SUCCESS/)
    expect(run.stdout).toContain(`deleted KMS key alias/mygate-bk2-${region}-backups in ${region} (deletion scheduled in 7 days, the AWS minimum)`)
    expect((await aws('s3api', 'head-bucket', '--bucket', `mygate-bk2-${region}-backups`)).exitCode).not.toBe(0)
    const keys = (await aws('kms', 'list-aliases')).json.Aliases as Array<{AliasName: string}>
    expect(keys.map((a) => a.AliasName)).not.toContain(`alias/mygate-bk2-${region}-backups`)
  }, 240_000)
})
