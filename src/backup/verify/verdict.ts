import {type CollectionContentHash, compareContentHashes, type ContentHashes} from '../../formats/content-hash/content-hash.js'
import type {RestoredCollection} from '../restore/restore-into-set.js'

/**
 * A verification's verdict, pure: what the catalog entry recorded against what the restored set
 * holds, collection by collection, plus the archive's own SHA-256 (as stored now vs as recorded).
 *
 * Worked example: the entry says visitors.visits {documents: 120, sha256Sum: a1…}; the restored
 * set's hashes Job says visits {count: 119, hash: 9f…}. Verdict failed, detail
 * "visitors.visits: catalog 120 documents, checksum a1…; restored 119 documents, checksum 9f…".
 * A collection missing on either side counts as 0 documents with checksum "none".
 */

export interface CollectionCheck {
  /** `db.collection`. */
  ns: string
  expected: CollectionContentHash | null
  restored: CollectionContentHash | null
  match: boolean
}

export interface ComparedRestore {
  verdict: 'passed' | 'failed'
  collections: CollectionCheck[]
  /** For a failure: every mismatch, collection and both checksums. */
  detail?: string
}

/** The restored set's hashes keyed like the catalog's (`db.collection`). */
export function restoredHashes(dbName: string, collections: readonly RestoredCollection[]): ContentHashes {
  return Object.fromEntries(collections.map((c) => [`${dbName}.${c.name}`, {documents: c.count, sha256Sum: c.hash}]))
}

export function compareRestore(expected: ContentHashes, restored: ContentHashes): ComparedRestore {
  const mismatched = new Set(compareContentHashes(expected, restored).map((d) => d.ns))
  const names = [...new Set([...Object.keys(expected), ...Object.keys(restored)])].sort()
  const collections = names.map((ns) => ({ns, expected: expected[ns] ?? null, restored: restored[ns] ?? null, match: !mismatched.has(ns)}))
  const bad = collections.filter((c) => !c.match)
  if (bad.length === 0) return {verdict: 'passed', collections}
  return {verdict: 'failed', collections, detail: bad.map(describeMismatch).join('; ')}
}

export function describeMismatch(check: Pick<CollectionCheck, 'ns' | 'expected' | 'restored'>): string {
  const side = (hash: CollectionContentHash | null) => `${hash?.documents ?? 0} documents, checksum ${hash?.sha256Sum ?? 'none'}`
  return `${check.ns}: catalog ${side(check.expected)}; restored ${side(check.restored)}`
}

/** The archive as stored now against the SHA-256 its entry recorded at upload. */
export function archiveChecksumProblem(recorded: string, stored: string | undefined): string | undefined {
  if (stored === undefined) return 'the archive is missing from the store'
  return stored === recorded ? undefined : `archive checksum ${stored} differs from the catalog's ${recorded}`
}
