import type {ServiceDescriptor} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {replicaSetTopology as membersOf} from '../db/topology.js'

/**
 * A service's MongoDB connection string, as a pure function of where the replica set's members
 * are. Apps read it from Secret key `uri` (generate: mongodb-uri); it is rebuilt whenever the
 * topology or the credentials change, and the apps reading it are then restarted.
 */

export interface MongoMember {
  host: string
  port: number
}

/** Where a replica set's members are: what a driver needs to find the primary. */
export interface MongoTopology {
  /** The replica set name (`--replSet`); mygate names it after the database service. */
  replicaSet: string
  members: MongoMember[]
}

export interface MongoCredentials {
  username: string
  password: string
}

/**
 * Where the database's members are, from the one topology function (src/db/topology.ts): in one
 * region the StatefulSet's pods through the headless Service
 * (`NAME-i.NAME.mygate-data.svc.cluster.local:PORT`); in two regions every member of both regions
 * by its per-member Service (`NAME-REGION-i.mygate-data.svc.clusterset.local:PORT`), so a driver
 * finds the PRIMARY wherever it is. Without `regions`, one region.
 *
 * Example: billing-db, 3 replicas, port 27017, one region ->
 * billing-db-0.billing-db.mygate-data.svc.cluster.local:27017, -1..., -2..., replicaSet billing-db.
 */
export function replicaSetTopology(database: ServiceDescriptor, env: Pick<EnvironmentSpec, 'tier'> & Partial<Pick<EnvironmentSpec, 'regions'>>): MongoTopology {
  const topology = membersOf(database, {tier: env.tier, regions: env.regions ?? {primary: 'primary'}})
  return {
    replicaSet: topology.set,
    members: topology.members.map((member) => {
      const at = member.host.lastIndexOf(':')
      return {host: member.host.slice(0, at), port: Number(member.host.slice(at + 1))}
    }),
  }
}

/**
 * The standard connection string format (https://www.mongodb.com/docs/manual/reference/connection-string/):
 * `mongodb://USER:PASSWORD@HOST1:PORT1,HOST2:PORT2/DATABASE?replicaSet=NAME&authSource=admin`.
 * User and password are percent-encoded (the format requires it for `: / ? # [ ] @`); the root
 * user lives in the `admin` database, hence authSource=admin; DATABASE is the service's own
 * database (the app ConfigMap's MONGODB_DATABASE).
 *
 * Example: ({replicaSet: 'rs', members: [{host: 'h', port: 27017}]}, {username: 'u', password: 'p@ss'}, 'billing')
 * -> mongodb://u:p%40ss@h:27017/billing?replicaSet=rs&authSource=admin
 */
export function mongoUri(topology: MongoTopology, credentials: MongoCredentials, database: string): string {
  if (topology.members.length === 0) throw new Error(`replica set ${topology.replicaSet} has no members`)
  const auth = `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}`
  const hosts = topology.members.map((member) => `${member.host}:${member.port}`).join(',')
  const query = new URLSearchParams({replicaSet: topology.replicaSet, authSource: 'admin'})
  return `mongodb://${auth}@${hosts}/${encodeURIComponent(database)}?${query.toString()}`
}
