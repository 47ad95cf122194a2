import {NotFoundError} from '../../../errors.js'
import {LocalBucket, localObjectStoreRoot} from '../../../formats/local-object-store/bucket.js'
import type {ArchiveStore} from './archive-pipeline.js'

/**
 * The local provider's object store as backup Jobs reach it: the encrypted buckets under
 * $MYGATE_HOME/local/object-store that the CLI reads too (src/formats/local-object-store/).
 * `local://BUCKET/KEY`; a bucket that does not exist is an error (`env create` makes them), as a
 * missing S3 bucket is for `aws s3 cp`.
 */
export function localArchiveStore(mygateHome: string): ArchiveStore {
  const root = localObjectStoreRoot(mygateHome)
  const parse = (url: string) => {
    const match = /^local:\/\/([^/]+)\/(.+)$/.exec(url)
    if (!match) throw new Error(`${url}: not a local://BUCKET/KEY URL`)
    return {bucket: match[1], key: match[2]}
  }
  return {
    put: async (url, bytes) => {
      const {bucket, key} = parse(url)
      const handle = await LocalBucket.open(root, bucket)
      await handle.put(
        key,
        (async function* () {
          yield bytes
        })(),
      )
    },
    list: async (url) => {
      const {bucket, key: prefix} = parse(url)
      const handle = await LocalBucket.open(root, bucket)
      const keys: string[] = []
      let after: string | undefined
      do {
        const page = await handle.list(prefix, after === undefined ? {} : {after})
        keys.push(...page.objects.map((o) => o.key))
        after = page.nextToken
      } while (after !== undefined)
      return keys
    },
    get: async (url) => {
      const {bucket, key} = parse(url)
      try {
        const {body} = await (await LocalBucket.open(root, bucket)).get(key)
        const chunks: Buffer[] = []
        for await (const chunk of body) chunks.push(chunk)
        return Buffer.concat(chunks)
      } catch (error) {
        if (error instanceof NotFoundError) return undefined
        throw error
      }
    },
  }
}
