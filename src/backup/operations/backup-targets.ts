import type {Catalog, ServiceDescriptor} from '../../catalog/types.js'
import {oneOf, UsageError} from '../../errors.js'

/**
 * Which databases a `mygate backup` command acts on. `--service` names an app service (its
 * database is `dependencies.database`) or a database descriptor itself (`visitors` and
 * `visitors-db` mean the same). Without `--service`, every database whose descriptor enables
 * backups. Asking for something that has nothing to back up is bad input with the reason: a
 * service without a database (`gateway`), Redis (rebuildable, its descriptor says so), or a
 * database whose descriptor disables backups.
 */
export interface BackupTarget {
  /** The app service that owns the database (the database's own name when none does). */
  service: string
  /** The mongodb descriptor: the replica set's StatefulSet and Secret are named after it. */
  database: string
  /** The MongoDB database inside it (`billing-db` holds `billing`). */
  dbName: string
  /** The database's recovery point objective (from its descriptor). */
  rpo: string
  /** Cron schedule and time zone of the descriptor's scheduled backups, if any. */
  schedule?: string
  /** IANA time zone of the schedule (the descriptor's backup.timeZone). */
  timeZone?: string
  retention?: string
}

export function resolveBackupTargets(catalog: Catalog, services: readonly string[] = []): BackupTarget[] {
  const databases = catalog.services.filter((s) => s.kind === 'mongodb')
  if (services.length === 0) return databases.filter((d) => d.backup.enabled).map((d) => targetOf(catalog, d))
  const targets: BackupTarget[] = []
  for (const name of services) {
    const target = resolveOne(catalog, name)
    if (!targets.some((t) => t.database === target.database)) targets.push(target)
  }
  return targets
}

function resolveOne(catalog: Catalog, name: string): BackupTarget {
  const descriptor = catalog.byName(name)
  if (!descriptor) {
    throw new UsageError(`unknown service "${name}"`, {hint: `use ${oneOf(catalog.services.map((s) => s.name))}`})
  }
  if (descriptor.kind === 'redis') {
    throw new UsageError(`${name} is not backed up: ${descriptor.backup.enabled ? 'Redis backups are not supported' : 'its descriptor disables backups (everything in it can be rebuilt)'}`, {
      hint: `its recovery point objective is ${descriptor.criticality.rpo}; back up the databases instead (mygate backup create --service ${databaseOwners(catalog)[0] ?? 'SERVICE'})`,
    })
  }
  const database = descriptor.kind === 'mongodb' ? descriptor : descriptor.dependencies.database ? catalog.byName(descriptor.dependencies.database) : undefined
  if (!database || database.kind !== 'mongodb') {
    throw new UsageError(`${name} has no database to back up`, {hint: `services with a database: ${databaseOwners(catalog).join(', ')}`})
  }
  if (!database.backup.enabled) {
    throw new UsageError(`backups of ${database.name} are disabled in its descriptor (${database.source.file})`, {hint: 'set backup.enabled: true in the descriptor to back it up'})
  }
  return targetOf(catalog, database)
}

function targetOf(catalog: Catalog, database: ServiceDescriptor): BackupTarget {
  const owner = catalog.services.find((s) => s.kind === 'app' && s.dependencies.database === database.name)
  return {
    service: owner?.name ?? database.name,
    database: database.name,
    dbName: databaseNameOf(database.name),
    rpo: database.criticality.rpo,
    ...(database.backup.schedule ? {schedule: database.backup.schedule} : {}),
    ...(database.backup.timeZone ? {timeZone: database.backup.timeZone} : {}),
    ...(database.backup.retention ? {retention: database.backup.retention} : {}),
  }
}

/** `billing-db` holds the database `billing` (the services' connection strings name it so). */
export function databaseNameOf(descriptorName: string): string {
  return descriptorName.replace(/-db$/, '')
}

function databaseOwners(catalog: Catalog): string[] {
  return catalog.services.filter((s) => s.kind === 'app' && s.dependencies.database).map((s) => s.name)
}
