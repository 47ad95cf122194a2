import {NotFoundError, OperationFailedError} from '../../errors.js'
import type {ObjectInfo, ObjectStore} from './object-store.js'

/**
 * Copies an object to another store, typically the secondary region's bucket. The bytes are read
 * decrypted from the source and written through the target, which encrypts them with its own
 * region's key: KMS keys are regional, so a server-side copy could not re-encrypt across regions.
 * The target's SHA-256 (computed on the way in) must equal the source's, or the copy fails.
 */
export async function copyObject(source: ObjectStore, key: string, target: ObjectStore, targetKey = key): Promise<ObjectInfo> {
  const from = await source.head(key)
  if (!from) {
    throw new NotFoundError(`${source.location}/${key} does not exist`)
  }
  const copied = await target.put(targetKey, await source.get(key), {metadata: from.metadata})
  if (from.sha256 && copied.sha256 !== from.sha256) {
    throw new OperationFailedError(`copy of ${key} to ${target.location} does not match: SHA-256 ${copied.sha256} differs from the source's ${from.sha256}`, {
      hint: 'the source changed during the copy or a store is corrupting data: run the copy again',
    })
  }
  return copied
}
