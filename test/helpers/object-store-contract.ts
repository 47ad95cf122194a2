import {createHash, randomBytes} from 'node:crypto'

import {expect, test} from 'vitest'

import {copyObject} from '../../src/backup/storage/copy.js'
import {listAll, readSmallObject, type ObjectStore} from '../../src/backup/storage/object-store.js'
import {NotFoundError} from '../../src/errors.js'

/**
 * The behaviour every ObjectStore must have, run against each implementation (memory, local,
 * S3 on moto, GCS on its fake). `make` returns a fresh, empty store; `second` another one (the
 * other region) for copies.
 */
export function objectStoreContract(make: () => Promise<ObjectStore>, second: () => Promise<ObjectStore>): void {
  async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
  }

  test('put streams in and computes size and SHA-256; get streams the same bytes back; head describes it', async () => {
    const store = await make()
    const bytes = randomBytes(3 * 1024 * 1024 + 17)
    const put = await store.put('backups/visitors/b1/archive.gz', pieces(bytes, 64 * 1024), {metadata: {service: 'visitors', kind: 'archive'}})
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    expect(put).toMatchObject({key: 'backups/visitors/b1/archive.gz', size: bytes.length, sha256})
    // Buffer.equals: vitest's deep equality walks megabytes byte by byte.
    expect((await readSmallObject(store, 'backups/visitors/b1/archive.gz')).equals(bytes)).toBe(true)
    const head = await store.head('backups/visitors/b1/archive.gz')
    expect(head).toMatchObject({key: 'backups/visitors/b1/archive.gz', size: bytes.length, sha256, metadata: {service: 'visitors', kind: 'archive'}})
    expect(head!.lastModified).toBeInstanceOf(Date)
    expect(head!.encryptionKeyId).toMatch(/.+/)
  })

  test('an empty object and a Uint8Array body', async () => {
    const store = await make()
    expect((await store.put('empty', new Uint8Array(0))).size).toBe(0)
    expect(await readSmallObject(store, 'empty')).toEqual(Buffer.alloc(0))
  })

  test('head of an absent key is undefined; get of one is NotFoundError; delete of one is fine', async () => {
    const store = await make()
    expect(await store.head('nope/nothing')).toBeUndefined()
    await expect(store.get('nope/nothing')).rejects.toBeInstanceOf(NotFoundError)
    await store.delete('nope/nothing')
  })

  test('a second put replaces the current version; delete removes it from head, get and list', async () => {
    const store = await make()
    await store.put('k', Buffer.from('one'))
    await store.put('k', Buffer.from('two'))
    expect((await readSmallObject(store, 'k')).toString()).toBe('two')
    await store.delete('k')
    expect(await store.head('k')).toBeUndefined()
    await expect(store.get('k')).rejects.toBeInstanceOf(NotFoundError)
    expect((await store.list('k')).objects).toEqual([])
  })

  test('list by prefix, in key order, page by page', async () => {
    const store = await make()
    const keys = Array.from({length: 7}, (_, i) => `backups/billing/${String(i).padStart(2, '0')}.json`)
    for (const key of [...keys].reverse()) await store.put(key, Buffer.from(key))
    await store.put('backups/billing-extra/x.json', Buffer.from('x'))
    await store.put('other/y.json', Buffer.from('y'))
    const first = await store.list('backups/billing/', {pageSize: 3})
    expect(first.objects.map((o) => o.key)).toEqual(keys.slice(0, 3))
    expect(first.nextPageToken).toBeDefined()
    const second = await store.list('backups/billing/', {pageSize: 3, pageToken: first.nextPageToken})
    expect(second.objects.map((o) => o.key)).toEqual(keys.slice(3, 6))
    const all: string[] = []
    for await (const o of listAll(store, 'backups/billing/', 2)) all.push(o.key)
    expect(all).toEqual(keys)
    expect(first.objects[0].size).toBe(keys[0].length)
  })

  test('copy to another region re-encrypts with its key and keeps bytes, SHA-256 and metadata', async () => {
    const source = await make()
    const target = await second()
    const bytes = randomBytes(200_000)
    const put = await source.put('backups/users/b9/archive.gz', bytes, {metadata: {service: 'users'}})
    const copied = await copyObject(source, 'backups/users/b9/archive.gz', target)
    expect(copied.sha256).toBe(put.sha256)
    expect((await readSmallObject(target, 'backups/users/b9/archive.gz')).equals(bytes)).toBe(true)
    const head = await target.head('backups/users/b9/archive.gz')
    expect(head).toMatchObject({sha256: put.sha256, metadata: {service: 'users'}})
    // The target region's key, not the source's.
    expect(head!.encryptionKeyId).not.toBe(put.encryptionKeyId)
  })
}
