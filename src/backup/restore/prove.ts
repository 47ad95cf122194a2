import {compareContentHashes, type ContentHashes} from '../../formats/content-hash/content-hash.js'
import {OperationFailedError} from '../../errors.js'

/**
 * The prove step: a restored set is switched to only when every collection's document count and
 * content hash equal what the backup says it holds (the catalog entry's, computed from the archive
 * and its oplog at backup time) or, for a point in time, what the archive plus the replayed oplog
 * must give. A corrupted archive, a partial restore or a wrong oplog limit all show up here, and
 * the live set has not been touched yet.
 */

export interface ProofVerdict {
  ok: boolean
  collections: number
  documents: number
  /** One line per differing collection: namespace, expected and found count and checksum. */
  mismatches: string[]
}

function describe(hash: {documents: number; sha256Sum: string} | undefined): string {
  return hash ? `${hash.documents} documents, sha256 ${hash.sha256Sum.slice(0, 12)}` : 'missing'
}

/**
 * Example: expected {visitors.gateEntries: 3 docs, sum a1..}, measured {visitors.gateEntries: 2 docs, sum 9f..}
 * -> {ok: false, mismatches: ['visitors.gateEntries: expected 3 documents, sha256 a1..., found 2 documents, sha256 9f...']}
 */
export function proveRestore(expected: ContentHashes, measured: ContentHashes): ProofVerdict {
  const diffs = compareContentHashes(expected, measured)
  const values = Object.values(measured)
  return {
    ok: diffs.length === 0,
    collections: values.length,
    documents: values.reduce((sum, c) => sum + c.documents, 0),
    mismatches: diffs.map((d) => `${d.ns}: expected ${describe(d.expected)}, found ${describe(d.actual)}`),
  }
}

/** The refusal when the proof fails: the first differing collection named, the live set untouched. */
export function proofFailure(verdict: ProofVerdict, backupId: string, restoredSet: string, liveSet: string): OperationFailedError {
  const more = verdict.mismatches.length > 1 ? ` (and ${verdict.mismatches.length - 1} more)` : ''
  return new OperationFailedError(`the restore of backup ${backupId} into ${restoredSet} does not match the backup: ${verdict.mismatches[0]}${more}; ${liveSet} was not touched`, {
    hint: `verify the backup (\`mygate backup verify ${backupId}\`) or restore another one; --abandon removes ${restoredSet}`,
    details: {mismatches: verdict.mismatches},
  })
}
