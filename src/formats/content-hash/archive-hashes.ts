import {decodeArchive, type DecodeOptions} from '../mongo-archive/decode.js'
import {namespaceName} from '../mongo-archive/layout.js'
import {ContentHashState, hashOpFromOplogEntry, touchedKeys, type ContentHashes, type HashOp} from './content-hash.js'

export interface ArchiveHashResult {
  /** Per collection, as of the archive's consistent point (its documents with its oplog replayed). */
  collections: ContentHashes
  /** Oplog entries replayed onto the documents' hashes. */
  oplogEntries: number
}

/**
 * The content hashes of a mongodump archive as of its consistent point: its collections' documents
 * with the oplog it captured (`--oplog`, the archive's last namespace) applied on top, as
 * `mongorestore --oplogReplay` would leave them. Extra oplog slices (point-in-time) can follow in
 * `extraOps`.
 *
 * Two passes over the archive, so memory holds only what the oplog touches: the oplog sits at the
 * archive's end, and a document it updates or deletes must be subtracted, which needs that
 * document's digest from the first pass over the collections. `open` is called once per pass
 * (e.g. a fresh object-store read each time).
 */
export async function hashArchiveAtConsistentPoint(
  open: () => AsyncIterable<Uint8Array>,
  options: DecodeOptions & {extraOps?: HashOp[]} = {},
): Promise<ArchiveHashResult> {
  const ops: HashOp[] = []
  for await (const event of decodeArchive(open(), options)) {
    if (event.kind === 'documents' && event.oplog) for (const entry of event.documents) ops.push(hashOpFromOplogEntry(entry))
  }
  const oplogEntries = ops.length
  if (options.extraOps) ops.push(...options.extraOps)

  const state = new ContentHashState({track: touchedKeys(ops)})
  for await (const event of decodeArchive(open(), options)) {
    if (event.kind === 'prelude') {
      for (const c of event.collections) if (c.db !== '' || c.collection !== 'oplog') state.declareCollection(namespaceName(c))
    } else if (event.kind === 'documents' && !event.oplog) {
      const ns = namespaceName(event.ns)
      for (const bson of event.documents) state.addDocument(ns, bson)
    }
  }
  for (const op of ops) state.applyOp(op)
  return {collections: state.hashes(), oplogEntries}
}
