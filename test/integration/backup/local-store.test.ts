import {mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {copyObject} from '../../../src/backup/storage/copy.js'
import {LocalObjectStore} from '../../../src/backup/storage/local-store.js'
import {readSmallObject} from '../../../src/backup/storage/object-store.js'
import {ConflictError, OperationFailedError} from '../../../src/errors.js'
import {LocalBucket, localObjectStoreRoot} from '../../../src/formats/local-object-store/bucket.js'
import {objectStoreContract} from '../../helpers/object-store-contract.js'

let home: string
let counter = 0
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mygate-local-store-'))
})
afterAll(async () => {
  await rm(home, {recursive: true, force: true})
})

describe('the local encrypted store keeps the ObjectStore contract', () => {
  objectStoreContract(
    async () => LocalObjectStore.ensure({mygateHome: home, bucket: `mygate-test-a${++counter}`, region: 'local-a'}),
    async () => LocalObjectStore.ensure({mygateHome: home, bucket: `mygate-test-b${++counter}`, region: 'local-b'}),
  )
})

describe('the local store on disk', () => {
  test('lives under $MYGATE_HOME/local/object-store with a 0600 key beside the bucket, data sealed', async () => {
    const store = await LocalObjectStore.ensure({mygateHome: home, bucket: 'mygate-dev-local-a', region: 'local-a'})
    const dir = join(home, 'local', 'object-store', 'mygate-dev-local-a')
    expect(localObjectStoreRoot(home)).toBe(join(home, 'local', 'object-store'))
    expect((await stat(join(dir, 'bucket.key'))).mode & 0o777).toBe(0o600)
    const info = JSON.parse(await readFile(join(dir, 'bucket.json'), 'utf8'))
    expect(info).toMatchObject({name: 'mygate-dev-local-a', region: 'local-a', versioning: 'Enabled', keyId: store.encryptionKeyId})

    const put = await store.put('backups/visitors/b1/catalog.json', Buffer.from('{"service":"visitors","secret":"gate-entries"}'))
    const versionDir = join(dir, 'objects', 'backups%2Fvisitors%2Fb1%2Fcatalog%2Ejson')
    const files = (await readdir(versionDir)).sort()
    expect(files).toEqual([`${put.versionId}.json`, `${put.versionId}.obj`])
    const atRest = await readFile(join(versionDir, `${put.versionId}.obj`))
    expect(atRest.subarray(0, 8).toString('latin1')).toBe('MGSEAL01')
    expect(atRest.includes(Buffer.from('gate-entries'))).toBe(false)
  })

  test('a delete keeps the noncurrent version readable by version id', async () => {
    const root = localObjectStoreRoot(home)
    const bucket = await LocalBucket.ensure(root, 'mygate-versions', 'local-a')
    const first = await bucket.put('k', (async function* () {
      yield Buffer.from('v1')
    })())
    await bucket.delete('k')
    const versions = await bucket.versions('k')
    expect(versions.map((v) => v.deleteMarker)).toEqual([true, false])
    const old = await bucket.get('k', first.versionId)
    const chunks: Buffer[] = []
    for await (const c of old.body) chunks.push(c)
    expect(Buffer.concat(chunks).toString()).toBe('v1')
  })

  test('bytes changed at rest fail the read naming the object; no temp files are left behind', async () => {
    const store = await LocalObjectStore.ensure({mygateHome: home, bucket: 'mygate-tamper', region: 'local-a'})
    const put = await store.put('backups/billing/b2/archive.gz', Buffer.alloc(300_000, 1))
    const path = join(home, 'local', 'object-store', 'mygate-tamper', 'objects', 'backups%2Fbilling%2Fb2%2Farchive%2Egz', `${put.versionId}.obj`)
    const bytes = await readFile(path)
    bytes[bytes.length - 100] ^= 0x40
    await writeFile(path, bytes)
    const error = await readSmallObject(store, 'backups/billing/b2/archive.gz').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OperationFailedError)
    expect((error as Error).message).toMatch(/object backups\/billing\/b2\/archive\.gz in local bucket mygate-tamper fails authentication at chunk 0/)
    const names = await readdir(join(home, 'local', 'object-store', 'mygate-tamper', 'objects', 'backups%2Fbilling%2Fb2%2Farchive%2Egz'))
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([])
  })

  test('a failed upload leaves no version behind', async () => {
    const store = await LocalObjectStore.ensure({mygateHome: home, bucket: 'mygate-failing', region: 'local-a'})
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(2 * 1024 * 1024, 3)
      throw new Error('dump Job killed')
    }
    await expect(store.put('backups/x/archive.gz', broken())).rejects.toThrow('dump Job killed')
    expect(await store.head('backups/x/archive.gz')).toBeUndefined()
    const dir = join(home, 'local', 'object-store', 'mygate-failing', 'objects', 'backups%2Fx%2Farchive%2Egz')
    expect(await readdir(dir)).toEqual([])
  })

  test('ensure is idempotent in its region and refuses another region', async () => {
    const a = await LocalObjectStore.ensure({mygateHome: home, bucket: 'mygate-idem', region: 'local-a'})
    const again = await LocalObjectStore.ensure({mygateHome: home, bucket: 'mygate-idem', region: 'local-a'})
    expect(again.encryptionKeyId).toBe(a.encryptionKeyId)
    await expect(LocalObjectStore.ensure({mygateHome: home, bucket: 'mygate-idem', region: 'local-b'})).rejects.toBeInstanceOf(ConflictError)
  })

  test('a copy between regions is sealed with the target key: different bytes at rest, same plaintext', async () => {
    const a = await LocalObjectStore.ensure({mygateHome: home, bucket: 'mygate-copy-a', region: 'local-a'})
    const b = await LocalObjectStore.ensure({mygateHome: home, bucket: 'mygate-copy-b', region: 'local-b'})
    await a.put('o', Buffer.alloc(1000, 9))
    const copied = await copyObject(a, 'o', b)
    expect(copied.encryptionKeyId).toBe(b.encryptionKeyId)
    const keyA = await readFile(join(home, 'local', 'object-store', 'mygate-copy-a', 'bucket.key'), 'utf8')
    const keyB = await readFile(join(home, 'local', 'object-store', 'mygate-copy-b', 'bucket.key'), 'utf8')
    expect(keyA).not.toBe(keyB)
    expect((await readSmallObject(b, 'o')).equals(Buffer.alloc(1000, 9))).toBe(true)
  })
})
