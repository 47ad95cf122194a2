/**
 * The layout of mongodump's archive format (`mongodump --archive`), as documented in the
 * mongo-tools sources: common/archive/spec.md (the grammar), archive.go (the header structs and
 * constants), prelude.go (magic number, header, per-collection metadata, terminator) and
 * multiplexer.go (namespace segments, the EOF header and its CRC).
 *
 *   archive            = magic-number header *collection-metadata terminator *(segment | eof)
 *   magic-number       = 0x8199e26d as a little-endian uint32 (bytes 6d e2 99 81)
 *   header             = BSON {concurrent_collections: int32, version: "0.1", server_version, tool_version}
 *   collection-metadata= BSON {db, collection, metadata: Extended JSON string, size: int32|int64, type}
 *   terminator         = ff ff ff ff (a length of -1 where a BSON document's length would be)
 *   segment            = BSON {db, collection, EOF: false, CRC: int64 0} 1*document terminator
 *   eof                = BSON {db, collection, EOF: true, CRC: int64 CRC-64/ECMA of the namespace's documents} terminator
 *
 * With `--gzip` the whole archive stream is one gzip stream. With `--oplog`, mongodump adds an
 * intent whose db is "" and collection is "oplog" (mongodump/prepare.go CreateOplogIntents): it
 * appears in the prelude (metadata "") and as the archive's last namespace, written after every
 * collection is dumped; mongorestore surfaces it as the top-level `oplog.bson`.
 */

/** The archive's first four bytes, read as a little-endian uint32 (archive.go MagicNumber). */
export const ARCHIVE_MAGIC_NUMBER = 0x8199e26d
/** The only archive format version mongo-tools has ever written (archive.go archiveFormatVersion). */
export const ARCHIVE_FORMAT_VERSION = '0.1'
/** Ends the prelude and every namespace segment: a BSON length of -1. */
export const TERMINATOR = 0xffffffff
/** The smallest BSON document: a length and the trailing NUL (archive.go minBSONSize). */
export const MIN_BSON_SIZE = 5
/**
 * The largest document the reader accepts: MongoDB's 16 MiB document limit plus the 16 KiB the
 * server allows internally (BSONObjMaxInternalSize), which oplog entries may use.
 */
export const MAX_BSON_SIZE = 16 * 1024 * 1024 + 16 * 1024

/** The namespace mongodump gives the oplog it captures with `--oplog` in archive mode. */
export const OPLOG_NAMESPACE = {db: '', collection: 'oplog'} as const

/** The archive header (archive.go Header). */
export interface ArchiveHeader {
  /** How many collections mongodump dumped concurrently; mongorestore uses it as a parallelism floor. */
  concurrentCollections: number
  /** Always ARCHIVE_FORMAT_VERSION. */
  version: string
  serverVersion: string
  toolVersion: string
}

/** One collection (or the oplog) announced in the prelude (archive.go CollectionMetadata). */
export interface CollectionMetadata {
  db: string
  collection: string
  /**
   * The collection's options, indexes and uuid as canonical Extended JSON v2 (what a directory
   * dump writes to COLLECTION.metadata.json); "" for the oplog.
   */
  metadata: string
  /** The collection's uncompressed size in bytes as mongodump saw it when it started (0 if unknown). */
  size: number
  /** "" for a collection, "view" or "timeseries". */
  type: string
}

export interface Namespace {
  db: string
  collection: string
}

export function isOplogNamespace(ns: Namespace): boolean {
  return ns.db === OPLOG_NAMESPACE.db && ns.collection === OPLOG_NAMESPACE.collection
}

/** `db.collection`, or `oplog` for the oplog namespace (how mongodump names it in its logs). */
export function namespaceName(ns: Namespace): string {
  return isOplogNamespace(ns) ? 'oplog' : `${ns.db}.${ns.collection}`
}
