import type {ContentHashes} from '../../formats/content-hash/content-hash.js'
import type {BackupEntry} from '../catalog/entry.js'

/**
 * What the restore needs of the set it restores into, behind one interface: provisioning a new
 * replica set beside the live one, restoring a backup into it and measuring it (restore-into-set,
 * shared with `backup verify`), its members and credentials for the switch, its documents for
 * --undo's count, and its removal. Every method is idempotent: a re-run after a kill finds what
 * the killed run created and continues.
 */
export interface RestoredSetDriver {
  /** Provisions `set` (if missing), restores the backup into it (if not yet), measures it. */
  restoreInto(input: {entry: BackupEntry; set: string; oplogLimit?: string; onProgress?: (message: string) => void}): Promise<RestoredSetMeasure>
  /** The set's members (`host:port`, as its config names them) and its credentials Secret in mygate-data. */
  connection(set: string): Promise<{hosts: string[]; credentialsSecret: string}>
  /** Documents per collection (`db.collection`) in the set now, through a database Job. */
  countDocuments(set: string): Promise<Record<string, number>>
  /** Deletes everything restoreInto created for `set`; false when nothing was there. */
  remove(set: string): Promise<boolean>
}

export interface RestoredSetMeasure {
  collections: ContentHashes
  restoreMs: number
  /** The last oplog operation the restore applied (point in time), SECONDS:ORDINAL. */
  lastAppliedOp?: string
}
