import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {putBaseBackup} from '../../src/backup/catalog/catalog-store.js'
import {LocalObjectStore} from '../../src/backup/storage/local-store.js'
import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'
import {testBackup} from '../unit/backup/catalog-builders.js'

/**
 * The local provider's backup store outlives `env destroy` like a cloud bucket: kept and said so
 * by default (a re-created environment of the same name lists the same backups), deleted only
 * with --delete-backups and the typed name (--confirm NAME without a terminal).
 */
describe('env destroy keeps the local backup store unless --delete-backups', () => {
  let local: LocalHome
  const bucketDir = () => join(local.home, 'local', 'object-store', 'mygate-keep-local-1-backups')

  beforeAll(() => {
    local = createLocalHome()
  })
  afterAll(async () => {
    await local?.cleanup()
  })

  test('kept by destroy, listed again after a re-create, deleted with --delete-backups --confirm', async () => {
    const create = async () => {
      const run = await local.cli(['env', 'create', 'keep', '--region', 'local-1', '--infra-only'])
      expect(run.exitCode, run.stderr).toBe(0)
    }
    await create()
    const store = await LocalObjectStore.ensure({mygateHome: local.home, bucket: 'mygate-keep-local-1-backups', region: 'local-1'})
    const {archive: _a, encryptionKeyId: _k, verifications: _v, ...draft} = testBackup({last: '1796281200:1'})
    const seeded = await putBaseBackup(store, {...draft, region: 'local-1'}, Buffer.from('an archive'))

    const destroyed = await local.cli(['env', 'destroy', 'keep', '--yes', '--json'])
    expect(destroyed.exitCode, destroyed.stderr).toBe(0)
    expect(parseEnvelope<{result: {destroyed: Array<{kept: Array<{resource: string}>}>}}>(destroyed.stdout).result.destroyed[0].kept.map((k) => k.resource)).toEqual([
      'backup bucket local://mygate-keep-local-1-backups',
    ])
    expect(existsSync(bucketDir())).toBe(true)

    // A new environment of the same name finds the same backups (an infra-only one lists without a record).
    await create()
    const listed = await local.cli(['backup', 'list', '--env', 'keep', '--json'])
    expect(listed.exitCode, listed.stderr).toBe(0)
    expect(parseEnvelope<{result: {backups: Array<{id: string}>}}>(listed.stdout).result.backups.map((b) => b.id)).toEqual([seeded.id])

    const refused = await local.cli(['env', 'destroy', 'keep', '--delete-backups', '--yes'])
    expect(refused.exitCode).toBe(2)
    expect(expectOneLineError(refused)).toMatch(/--yes alone is not enough.*it deletes the backups/)
    expect(existsSync(bucketDir())).toBe(true)

    const deleted = await local.cli(['env', 'destroy', 'keep', '--delete-backups', '--confirm', 'keep'])
    expect(deleted.exitCode, deleted.stderr).toBe(0)
    expect(deleted.stdout).toContain('deleted backup bucket local://mygate-keep-local-1-backups and its key')
    expect(existsSync(bucketDir())).toBe(false)
  }, 180_000)
})
