import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseEnvelope} from '../helpers/cli.js'
import {createLocalEnvironment, type LocalHome} from '../helpers/local-home.js'

/**
 * Cross-region copies through the built CLI on a two-region local environment: `backup create`
 * (a base backup, then an oplog slice) lands in the active region's bucket and is copied to the
 * other region's, re-encrypted with that bucket's own key; `backup list --region R` shows what
 * each region holds, the same backups and slices in both. (S3 with a KMS key per region:
 * test/integration/backup/replication-s3.test.ts.)
 */
describe('mygate backup across two regions (local)', () => {
  let local: LocalHome

  beforeAll(async () => {
    ;({local} = await createLocalEnvironment('duo', ['--region', 'local-1', '--secondary-region', 'local-2']))
  }, 240_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('each region lists the same backups and slices; the copy is encrypted with its own region\'s key', async () => {
    const created = await local.cli(['backup', 'create', '--env', 'duo', '--service', 'visitors', '--json'])
    expect(created.exitCode, created.stderr).toBe(0)
    const base = parseEnvelope<{result: {region: string; backups: Array<{id: string}>; copies?: {to: string; copied: number}}}>(created.stdout).result
    expect(base.region).toBe('local-1')
    expect(base.copies).toMatchObject({to: expect.stringMatching(/^local:\/\/mygate-duo-local-2-backups$/), copied: 1})
    const sliced = await local.cli(['backup', 'create', '--env', 'duo', '--service', 'visitors', '--oplog-slice', '--json'])
    expect(sliced.exitCode, sliced.stderr).toBe(0)

    type Listed = {region: string; store: string; backups: Array<{id: string}>; slices: Array<{id: string}>; windows: Array<{service: string; segments: unknown[]}>}
    const list = async (region: string) => {
      const run = await local.cli(['backup', 'list', '--env', 'duo', '--region', region, '--json'])
      expect(run.exitCode, run.stderr).toBe(0)
      return parseEnvelope<{result: Listed}>(run.stdout).result
    }
    const [one, two] = [await list('local-1'), await list('local-2')]
    expect(one.store).toBe('local://mygate-duo-local-1-backups')
    expect(two.store).toBe('local://mygate-duo-local-2-backups')
    expect(two.backups.map((b) => b.id)).toEqual(one.backups.map((b) => b.id))
    expect(two.backups.map((b) => b.id)).toEqual([base.backups[0].id])
    expect(two.slices.map((s) => s.id)).toEqual(one.slices.map((s) => s.id))
    expect(two.windows).toEqual(one.windows)

    const describe = async (region: string) => {
      const run = await local.cli(['backup', 'describe', base.backups[0].id, '--env', 'duo', '--region', region, '--json'])
      expect(run.exitCode, run.stderr).toBe(0)
      return parseEnvelope<{result: {backup: {encryptionKeyId: string; archive: {sha256: string}}}}>(run.stdout).result.backup
    }
    const [inOne, inTwo] = [await describe('local-1'), await describe('local-2')]
    expect(inOne.encryptionKeyId).toMatch(/^local:mygate-duo-local-1-backups:/)
    expect(inTwo.encryptionKeyId).toMatch(/^local:mygate-duo-local-2-backups:/)
    expect(inTwo.archive.sha256).toBe(inOne.archive.sha256)
  }, 180_000)
})
