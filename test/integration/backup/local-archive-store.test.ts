import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, test} from 'vitest'

import {LocalObjectStore} from '../../../src/backup/storage/local-store.js'
import {readSmallObject} from '../../../src/backup/storage/object-store.js'
import {localArchiveStore} from '../../../src/local-cluster/data-plane/jobs/local-archive-store.js'

/** The daemon's side (Jobs' transfer container) and the CLI's side see the same encrypted bucket. */
describe('localArchiveStore', () => {
  const homes: string[] = []
  afterEach(() => {
    for (const home of homes.splice(0)) rmSync(home, {recursive: true, force: true})
  })

  test('what a Job uploads the CLI reads, and the other way round; a missing object is absent; a missing bucket fails', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mygate-archive-store-'))
    homes.push(home)
    const cli = await LocalObjectStore.ensure({mygateHome: home, bucket: 'demo-r1-backups', region: 'r1'})
    const jobs = localArchiveStore(home)
    const bytes = Buffer.from('mongodump archive bytes \u0000\u00ff')
    await jobs.put('local://demo-r1-backups/backups/billing/base/b1/archive.gz', bytes)
    expect(await readSmallObject(cli, 'backups/billing/base/b1/archive.gz')).toEqual(bytes)
    await cli.put('backups/billing/base/b2/archive.gz', Buffer.from('from the CLI'))
    expect((await jobs.get('local://demo-r1-backups/backups/billing/base/b2/archive.gz'))?.toString()).toBe('from the CLI')
    expect(await jobs.get('local://demo-r1-backups/backups/none')).toBeUndefined()
    await expect(jobs.put('local://no-such-bucket/x', bytes)).rejects.toThrow(/local bucket no-such-bucket does not exist/)
  })
})
