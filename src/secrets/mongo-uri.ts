import type {ServiceDescriptor} from '../catalog/types.js'
import {NAMESPACES, type EnvironmentSpec} from '../config/types.js'

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
 * Today's topology: one region's StatefulSet, whose pods are addressed through the headless
 * Service as `NAME-i.NAME.mygate-data.svc.cluster.local:PORT`, one member per replica of the
 * environment's tier. A region running at disaster-recovery scale keeps its data services at
 * full size (src/env/dr-scale.ts), so the member list is the same in every region.
 *
 * Example: billing-db, 3 replicas, port 27017 ->
 * billing-db-0.billing-db.mygate-data.svc.cluster.local:27017, -1..., -2..., replicaSet billing-db.
 */
export function replicaSetTopology(database: ServiceDescriptor, env: Pick<EnvironmentSpec, 'tier'>): MongoTopology {
  const service = `${database.name}.${NAMESPACES.data}.svc.cluster.local`
  const replicas = database.tiers[env.tier].replicas
  return {
    replicaSet: database.name,
    members: Array.from({length: replicas}, (_, i) => ({host: `${database.name}-${i}.${service}`, port: database.port})),
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
