import {describe, expect, test} from 'vitest'

import {MemoryObjectStore} from '../../../src/backup/storage/memory-store.js'
import {readSmallObject} from '../../../src/backup/storage/object-store.js'
import {ExternalError} from '../../../src/errors.js'
import {objectStoreContract} from '../../helpers/object-store-contract.js'

describe('the in-memory fake store keeps the ObjectStore contract', () => {
  objectStoreContract(
    async () => new MemoryObjectStore('mygate-test-ap-south-1', 'ap-south-1'),
    async () => new MemoryObjectStore('mygate-test-ap-southeast-1', 'ap-southeast-1'),
  )
})

describe('the fake keeps noncurrent versions, flips bytes and takes overrides', () => {
  test('a delete keeps the data as a noncurrent version', async () => {
    const store = new MemoryObjectStore()
    await store.put('k', Buffer.from('one'))
    await store.delete('k')
    expect(store.versions.get('k')!.map((v) => v?.bytes.toString())).toEqual(['one', undefined])
  })

  test('corrupt() changes the bytes but not the recorded SHA-256', async () => {
    const store = new MemoryObjectStore()
    const put = await store.put('k', Buffer.from('hello'))
    store.corrupt('k', 1)
    expect((await readSmallObject(store, 'k')).toString()).not.toBe('hello')
    expect((await store.head('k'))!.sha256).toBe(put.sha256)
  })

  test('an override stands for an outage', async () => {
    const store = new MemoryObjectStore('b', 'r', 'k', {
      put: async () => {
        throw new ExternalError('storage unreachable')
      },
    })
    await expect(store.put('k', Buffer.from('x'))).rejects.toThrow('storage unreachable')
  })
})
