import type {KubeObject} from '../../kube/types.js'
import type {OplogTimestamp} from '../catalog/oplog-timestamp.js'
import {CONTAINER_SECURITY, DATA_NAMESPACE, jobLabels, renderOne} from './job-values.js'
import {type ArchiveLocation, archiveUrl, transferContainer} from './transfer.js'

/**
 * The oplog slice Job (templates/backup/oplog-slice-job.yaml): mongodump of local.oplog.rs for
 * a ts range into one gzipped .bson file, uploaded by the transfer container. Pure, like the
 * dump and restore Jobs.
 */
export interface OplogSliceJobInput {
  sliceId: string
  database: string
  image: string
  toolsSecret: string
  location: ArchiveLocation
  /** The slice starts AT this entry (the previous slice's last, or the base backup's consistent point). */
  from?: OplogTimestamp
  /**
   * Instead of `from`: the entries written in the last N milliseconds (a scheduled slice, whose
   * CronJob command cannot know the previous slice's end; the window overlaps the previous run).
   */
  withinMs?: number
  /** Optional inclusive upper bound; without it the slice reaches the member's newest entry. */
  to?: OplogTimestamp
  sizeLimit: string
  /**
   * The replica set read when it is not the descriptor's own (a restored set the service was
   * switched to): its NetworkPolicy admits backup pods labelled with it (restored-set.ts).
   */
  targetSet?: string
}

/** Where mongodump --out=/backup/dump --gzip writes local.oplog.rs. */
export const SLICE_FILE = '/backup/dump/local/oplog.rs.bson.gz'

export function sliceJobName(sliceId: string): string {
  return `${sliceId.toLowerCase()}-slice`.slice(0, 63)
}

/**
 * mongodump's --query for the range, Extended JSON v2 (canonical `$timestamp`). `$gte` on the
 * lower bound on purpose: finding the previous slice's last entry again proves the oplog still
 * reaches back to it (nothing in between was capped away).
 */
export function sliceQuery(from: OplogTimestamp, to?: OplogTimestamp): string {
  const ts = (t: OplogTimestamp) => ({$timestamp: {t: t.seconds, i: t.ordinal}})
  return JSON.stringify({ts: {$gte: ts(from), ...(to ? {$lte: ts(to)} : {})}})
}

/**
 * A trailing window on the entries' wall time (MongoDB 4.2+: $expr in find filters, $$NOW), for
 * scheduled slices: `{"$expr": {"$gte": ["$wall", {"$subtract": ["$$NOW", MS]}]}}`.
 */
export function sliceWindowQuery(withinMs: number): string {
  return JSON.stringify({$expr: {$gte: ['$wall', {$subtract: ['$$NOW', withinMs]}]}})
}

export function renderOplogSliceJob(input: OplogSliceJobInput): KubeObject {
  if ((input.from === undefined) === (input.withinMs === undefined)) throw new Error('renderOplogSliceJob needs exactly one of from and withinMs')
  const query = input.from ? sliceQuery(input.from, input.to) : sliceWindowQuery(input.withinMs!)
  const after = input.from ? `${input.from.seconds}:${input.from.ordinal}` : `within ${input.withinMs} ms`
  return renderOne('oplog-slice-job.yaml', {
    namespace: DATA_NAMESPACE,
    job: {name: sliceJobName(input.sliceId), labels: {...jobLabels(input.database, 'oplog-slice', input.sliceId.toLowerCase()), ...(input.targetSet ? {'mygate.dev/target-set': input.targetSet} : {})}},
    // In a container's args Kubernetes reads `$(VAR)` as a reference and `$$` as an escaped `$`
    // (https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/),
    // so every `$` is doubled: mongodump then receives the query exactly, `$$NOW` included.
    slice: {id: input.sliceId, url: archiveUrl(input.location), after, query: escapeDollars(query), sizeLimit: input.sizeLimit},
    database: {image: input.image, toolsSecret: input.toolsSecret},
    transfer: transferContainer(input.location, SLICE_FILE),
    containerSecurity: CONTAINER_SECURITY,
  })
}

/** `$` -> `$$`: the kubelet turns each `$$` of a command or argument back into one `$`. */
export function escapeDollars(text: string): string {
  return text.replace(/\$/g, '$$$$')
}
