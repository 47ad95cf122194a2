import type {Catalog, ServiceDescriptor} from '../catalog/types.js'
import {NAMESPACES} from '../config/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {
  BASELINE_NAME,
  commonLabels,
  imageReference,
  imageTag,
  podSelectorLabels,
  serviceNamespace,
  serviceSelectorLabels,
  TRACK_CANARY,
  TRACK_STABLE,
  LABEL_TRACK,
  LABEL_REGION,
} from './labels.js'
import {gatewayServiceAnnotations} from './entry-context.js'
import {LIMIT_RANGES, autoscalesIn, quotaFor} from './resource-policy.js'
import {OMIT, TemplateContext} from './template-engine.js'
import {replicaSetTopology, type ReplicaSetMember} from '../db/topology.js'
import {memberEndpoint} from '../providers/member-load-balancer.js'
import {memberEgressAnywhere, memberRanges} from '../providers/member-network.js'
import {PRIMARY_ORDINAL, redisServerArgs, redisTopology} from '../db/redis-topology.js'
import {REDIS_ENTRYPOINT_SCRIPT, REDIS_POD_NAME_ENV, REDIS_REPLICATION_MOUNT, redisReplicationConfigMapName, redisReplicationData} from '../db/redis-replication.js'

/**
 * The values templates can use. Each function documents its context; a placeholder outside it
 * is an "unknown placeholder" error. Decisions (who may talk to whom, which features a tier
 * gets) are made here in code; templates only place the values.
 */

/** The one service allowed to receive traffic from outside the platform. */
export const GATEWAY_SERVICE = 'gateway'

const DNS_PORT = 53

function envContext(env: EnvironmentSpec) {
  return {name: env.name, tier: env.tier, mesh: env.mesh, registry: env.registry}
}

function clusterHost(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.cluster.local`
}

/** A NetworkPolicy peer selecting a service's pods, across namespaces when needed. */
function peerFor(service: ServiceDescriptor, fromNamespace: string) {
  const namespace = serviceNamespace(service)
  const podSelector = {matchLabels: serviceSelectorLabels(service.name)}
  return namespace === fromNamespace
    ? {podSelector}
    : {namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': namespace}}, podSelector}
}

/**
 * Secrets only ever appear as secretKeyRef entries; no env list at all when there are none. A
 * MongoDB replica-set key is never an environment variable (the image does not read one): it is
 * mounted as mongod's --keyFile ({@link keyFileOf}).
 */
function secretEnv(service: ServiceDescriptor) {
  const secrets = service.secrets.filter((secret) => secret.generate !== 'mongodb-keyfile')
  if (secrets.length === 0) return OMIT
  return secrets.map((secret) => ({
    name: secret.env,
    valueFrom: {secretKeyRef: {name: secret.secretName, key: secret.key}},
  }))
}

/** The replica set's seed list, from the one topology function (src/db/topology.ts). */
function mongoHosts(database: ServiceDescriptor, env: EnvironmentSpec): string {
  return replicaSetTopology(database, env).members.map((member) => member.host).join(',')
}

function lookupDependency(catalog: Catalog, service: ServiceDescriptor, name: string): ServiceDescriptor | undefined {
  // A dangling dependency is the catalog loader's to reject; the renderer just leaves it out.
  const dependency = catalog.byName(name)
  return dependency && dependency.name !== service.name ? dependency : undefined
}

function appConfigData(service: ServiceDescriptor, env: EnvironmentSpec, catalog: Catalog): Record<string, string> {
  const data: Record<string, string> = {
    SERVICE_NAME: service.name,
    MYGATE_ENVIRONMENT: env.name,
    MYGATE_TIER: env.tier,
    PORT: String(service.port),
    LOG_LEVEL: env.tier === 'dev' ? 'debug' : 'info',
  }
  const database = service.dependencies.database ? lookupDependency(catalog, service, service.dependencies.database) : undefined
  if (database) {
    data.MONGODB_HOSTS = mongoHosts(database, env)
    data.MONGODB_REPLICA_SET = database.name
    data.MONGODB_DATABASE = service.name
  }
  const cache = service.dependencies.cache ? lookupDependency(catalog, service, service.dependencies.cache) : undefined
  // The master only: the headless `redis` Service answers with every member, and a replica
  // refuses writes (READONLY). Ordinal 0 of the region is its master when the region serves
  // (src/db/redis-topology.ts); a standby region's apps reach their local replica (reads only)
  // until a failover promotes it.
  if (cache) data.REDIS_ADDRESS = `${cache.name}-${PRIMARY_ORDINAL}.${clusterHost(cache.name, NAMESPACES.data)}:${cache.port}`
  for (const name of service.dependencies.services) {
    const dependency = lookupDependency(catalog, service, name)
    if (!dependency) continue
    data[`${name.toUpperCase().replaceAll('-', '_')}_URL`] = `http://${clusterHost(name, NAMESPACES.apps)}:${dependency.port}`
  }
  return data
}

/** Either `httpGet` or `tcpSocket` (the other is OMIT), on the container port named `http`. */
function probeAction(service: ServiceDescriptor, path: string) {
  const tcp = service.probes.type === 'tcp'
  return {
    httpGet: tcp ? OMIT : {path, port: 'http'},
    tcpSocket: tcp ? {port: 'http'} : OMIT,
  }
}

/** Apps that call this service (by dependencies.services, database or cache). */
function dependentsOf(service: ServiceDescriptor, catalog: Catalog): ServiceDescriptor[] {
  return catalog.services.filter(
    (other) =>
      other.kind === 'app' &&
      other.name !== service.name &&
      (other.dependencies.services.includes(service.name) ||
        other.dependencies.database === service.name ||
        other.dependencies.cache === service.name),
  )
}

function dataEgress(service: ServiceDescriptor, name: string | undefined, catalog: Catalog, ranges: string[] = []) {
  const target = name ? lookupDependency(catalog, service, name) : undefined
  if (!target) return {enabled: false}
  return {enabled: true, to: [peerFor(target, NAMESPACES.apps), ...ranges.map((cidr) => ({ipBlock: {cidr}}))], port: target.port}
}

/**
 * Context for templates/app/*.yaml. Names: env, namespaces, service, namespace, image, version,
 * podLabels, selector, serviceSelector, probes, replicas, resources, autoscaling, disruption,
 * secretEnv, config, network, mesh, tracks, dnsPort, serviceAnnotations.
 */
export function appContext(service: ServiceDescriptor, env: EnvironmentSpec, catalog: Catalog): TemplateContext {
  const tierSettings = service.tiers[env.tier]
  const version = imageTag(service, env)
  const namespace = NAMESPACES.apps
  const scales = autoscalesIn(service, env.tier)
  const dependents = dependentsOf(service, catalog)
  const callers = [...dependents]
  const gateway = catalog.byName(GATEWAY_SERVICE)
  if (gateway && gateway.name !== service.name && !callers.includes(gateway)) callers.push(gateway)
  const serviceDependencies = service.dependencies.services
    .map((name) => lookupDependency(catalog, service, name))
    .filter((s): s is ServiceDescriptor => s !== undefined)
  return {
    env: envContext(env),
    namespaces: {...NAMESPACES},
    service: {name: service.name, description: service.description, port: service.port},
    probes: {liveness: probeAction(service, service.probes.liveness), readiness: probeAction(service, service.probes.readiness)},
    namespace,
    image: imageReference(service, env),
    version,
    podLabels: {...commonLabels(service.name, version, env.name), ...podSelectorLabels(service.name)},
    selector: podSelectorLabels(service.name),
    serviceSelector: serviceSelectorLabels(service.name),
    replicas: tierSettings.replicas,
    resources: tierSettings.resources,
    autoscaling: scales
      ? {enabled: true, ...service.autoscaling!, minReplicas: Math.max(service.autoscaling!.minReplicas, 1)}
      : {enabled: false},
    disruption: {enabled: tierSettings.replicas > 1},
    secretEnv: secretEnv(service),
    config: {data: appConfigData(service, env, catalog)},
    network: {
      // The gateway faces the outside: no `from` means any source may reach its port.
      ingressFrom: service.name === GATEWAY_SERVICE ? OMIT : callers.map((c) => peerFor(c, namespace)),
      // The connection string names the members by their clusterset names: on a cloud, their
      // load balancers, which only address ranges admit (src/providers/member-network.ts).
      database: dataEgress(service, service.dependencies.database, catalog, memberEgressAnywhere(env)),
      cache: dataEgress(service, service.dependencies.cache, catalog),
      services:
        serviceDependencies.length === 0
          ? {enabled: false}
          : {
              enabled: true,
              to: serviceDependencies.map((s) => peerFor(s, namespace)),
              ports: [...new Set(serviceDependencies.map((s) => s.port))].map((port) => ({protocol: 'TCP', port})),
            },
    },
    mesh: {enabled: env.mesh, host: clusterHost(service.name, namespace)},
    tracks: {label: LABEL_TRACK, stable: TRACK_STABLE, canary: TRACK_CANARY},
    dnsPort: DNS_PORT,
    serviceAnnotations: service.name === GATEWAY_SERVICE ? gatewayServiceAnnotations(env) : OMIT,
  }
}

/**
 * Where a MongoDB descriptor's replica-set key is: its `generate: mongodb-keyfile` secret, or by
 * convention `NAME-credentials` / `replica-set-key` (the Secret mygate generates for a database)
 * when the descriptor declares none.
 */
function keyFileOf(service: ServiceDescriptor) {
  if (service.kind !== 'mongodb') return OMIT
  const reference = service.secrets.find((secret) => secret.generate === 'mongodb-keyfile')
  return reference ? {secretName: reference.secretName, key: reference.key} : {secretName: `${service.name}-credentials`, key: 'replica-set-key'}
}

/**
 * Context for templates/mongodb/member/*.yaml, rendered once per replica-set member of a
 * two-region environment. Names: env, namespaces, service, namespace, member ({service, pod,
 * region, labels, annotations, type, externalTrafficPolicy}).
 */
export function memberContext(database: ServiceDescriptor, env: EnvironmentSpec, member: Pick<ReplicaSetMember, 'memberService' | 'pod' | 'region'>): TemplateContext {
  const endpoint = memberEndpoint(env, member.region)
  return {
    env: envContext(env),
    namespaces: {...NAMESPACES},
    service: {name: database.name, port: database.port},
    namespace: NAMESPACES.data,
    member: {
      service: member.memberService ?? member.pod,
      pod: member.pod,
      region: member.region,
      labels: {[LABEL_REGION]: member.region},
      annotations: endpoint.kind === 'load-balancer' ? endpoint.annotations : OMIT,
      type: endpoint.kind === 'load-balancer' ? 'LoadBalancer' : 'ClusterIP',
      externalTrafficPolicy: endpoint.kind === 'load-balancer' && endpoint.externalTrafficPolicy ? endpoint.externalTrafficPolicy : OMIT,
    },
  }
}

/** Where a data service's context is rendered for: its region, and for Redis who serves and the entrypoint. */
export interface DataContextOptions {
  /** Default: the configured primary region. */
  region?: string
  /** The region that serves (the environment record's); default the configured primary region. */
  activeRegion?: string
  /** Redis: templates/redis/replication/entrypoint.sh as text (src/db/redis-replication.ts). */
  redisEntrypoint?: string
}

/**
 * Context for templates/mongodb/*.yaml and templates/redis/*.yaml. Names: env, namespaces,
 * service, namespace, image, version, podLabels, selector, serviceSelector, replicas, resources,
 * storage, disruption, secretEnv, keyFile (mongodb: {secretName, key}), network, dnsPort, redis
 * ({command, args, env, replicas, regionLabels, configMap, mountPath, replicationData}).
 */
export function dataContext(service: ServiceDescriptor, env: EnvironmentSpec, catalog: Catalog, options: DataContextOptions = {}): TemplateContext {
  const region = options.region ?? env.regions.primary
  const tierSettings = service.tiers[env.tier]
  const redis = service.kind === 'redis' ? redisTopology(service, env, options.activeRegion) : undefined
  const version = imageTag(service, env)
  const namespace = NAMESPACES.data
  return {
    env: envContext(env),
    namespaces: {...NAMESPACES},
    service: {name: service.name, description: service.description, port: service.port},
    namespace,
    image: imageReference(service, env),
    version,
    podLabels: {...commonLabels(service.name, version, env.name), ...podSelectorLabels(service.name)},
    selector: podSelectorLabels(service.name),
    serviceSelector: serviceSelectorLabels(service.name),
    replicas: tierSettings.replicas,
    resources: tierSettings.resources,
    storage: tierSettings.storage ?? '1Gi',
    disruption: {enabled: tierSettings.replicas > 1},
    secretEnv: secretEnv(service),
    keyFile: keyFileOf(service),
    network: {
      // Replica-set members talk to each other; the apps that use the store talk to it.
      ingressFrom: [peerFor(service, namespace), ...dependentsOf(service, catalog).map((c) => peerFor(c, namespace))],
      peers: [peerFor(service, namespace)],
      // The labels of the database Jobs' pods (src/db/run-operation.ts).
      dbOps: {'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': service.name},
      // The status Job of every database at once (src/db/status-all.ts).
      dbOpsAll: {'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': 'all'},
      dbOpsEnabled: service.kind === 'mongodb' || service.kind === 'redis',
      // The labels of the backup Jobs' pods (templates/backup/): they read from the members and
      // write to object storage.
      backupJobs: {'app.kubernetes.io/component': 'backup', 'mygate.dev/database': service.name},
      // The scheduled verification Job's pods (src/backup/verify/verify-job.ts): object storage only.
      verifyJobs: {'app.kubernetes.io/component': 'backup-verify', 'mygate.dev/database': service.name},
      verifyEnabled: service.kind === 'mongodb',
    },
    dnsPort: DNS_PORT,
    // templates/redis: this region's StatefulSet and replication ConfigMap (src/db/redis-topology.ts).
    redis: redis
      ? {
          command: ['sh', `${REDIS_REPLICATION_MOUNT}/${REDIS_ENTRYPOINT_SCRIPT}`],
          args: redisServerArgs(redis, service.secrets.find((s) => s.generate === 'password')?.env),
          env: [...(secretEnv(service) === OMIT ? [] : (secretEnv(service) as object[])), {name: REDIS_POD_NAME_ENV, valueFrom: {fieldRef: {fieldPath: 'metadata.name'}}}],
          replicas: redis.replicasByRegion[region] ?? tierSettings.replicas,
          regionLabels: env.regions.secondary ? {[LABEL_REGION]: region} : OMIT,
          configMap: redisReplicationConfigMapName(service.name),
          mountPath: REDIS_REPLICATION_MOUNT,
          replicationData: redisReplicationData(redis, region, options.redisEntrypoint ?? ''),
        }
      : OMIT,
  }
}

/**
 * Context for templates/mongodb/cross-region/*.yaml and templates/redis/cross-region/*.yaml,
 * rendered once per region of a two-region environment on aws, gcp or local. Names: env, namespace,
 * service, serviceSelector, crossRegion ({labels, ingressEnabled, egressEnabled, ingressFrom,
 * egressTo}: ipBlock peers from src/providers/member-network.ts).
 */
export function crossRegionContext(service: ServiceDescriptor, env: EnvironmentSpec, region: string): TemplateContext {
  const ranges = memberRanges(env, region)
  const peers = (cidrs: string[]) => cidrs.map((cidr) => ({ipBlock: {cidr}}))
  return {
    env: envContext(env),
    namespace: NAMESPACES.data,
    service: {name: service.name, port: service.port},
    serviceSelector: serviceSelectorLabels(service.name),
    crossRegion: {
      labels: {[LABEL_REGION]: region},
      // A rule with an empty peer list would admit every peer: no ranges, no policy.
      ingressEnabled: (ranges?.ingressFrom.length ?? 0) > 0 && (ranges?.egressTo.length ?? 0) > 0,
      egressEnabled: (ranges?.egressTo.length ?? 0) > 0,
      ingressFrom: peers(ranges?.ingressFrom ?? []),
      egressTo: peers(ranges?.egressTo ?? []),
    },
  }
}

/** Context for manifests/per-service/*.yaml. Names: env, namespaces, service, namespace, analysis. */
export function servicePolicyContext(service: ServiceDescriptor, env: EnvironmentSpec): TemplateContext {
  const analysis = service.rollout.analysis
  return {
    env: envContext(env),
    namespaces: {...NAMESPACES},
    service: {name: service.name, port: service.port},
    namespace: serviceNamespace(service),
    analysis: {
      maxErrorRate: analysis.maxErrorRate,
      maxP99LatencySeconds: analysis.maxP99LatencyMs / 1000,
      maxP99LatencyMs: analysis.maxP99LatencyMs,
    },
  }
}

export type NamespaceRole = 'apps' | 'data' | 'system'

/**
 * Context for manifests/per-namespace/*.yaml, rendered once per namespace in NAMESPACES.
 * Names: env, namespaces, namespace ({name, role, workloads, istioInjection}), quota, limits,
 * mesh, dnsPort.
 */
export function namespaceContext(role: NamespaceRole, env: EnvironmentSpec, catalog: Catalog): TemplateContext {
  const workloads = role !== 'system'
  return {
    env: envContext(env),
    namespaces: {...NAMESPACES},
    namespace: {
      name: NAMESPACES[role],
      role,
      workloads,
      istioInjection: env.mesh && workloads ? 'enabled' : OMIT,
    },
    quota: role === 'system' ? OMIT : quotaContext(catalog, env, role),
    limits: LIMIT_RANGES[env.tier],
    mesh: {enabled: env.mesh, strict: env.mesh && workloads},
    dnsPort: DNS_PORT,
  }
}

function quotaContext(catalog: Catalog, env: EnvironmentSpec, role: 'apps' | 'data') {
  const figures = quotaFor(catalog, env.tier, role)
  return {
    ...figures,
    requestsStorage: figures.requestsStorage ?? OMIT,
    persistentVolumeClaims: figures.persistentVolumeClaims === undefined ? OMIT : String(figures.persistentVolumeClaims),
  }
}

/** Labels for baseline objects that belong to no service. */
export function baselineLabels(env: EnvironmentSpec, version: string): Record<string, string> {
  return commonLabels(BASELINE_NAME, version, env.name)
}
