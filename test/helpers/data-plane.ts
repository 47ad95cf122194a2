import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {KubeObject} from '../../src/kube/types.js'
import {CONTRACT, PROBES} from '../../src/local-cluster/data-plane/jobs/contract.js'
import {packagePath} from '../../src/package-root.js'

/**
 * Manifests for database tests: a mongod StatefulSet as the contract in
 * templates/mongodb/ops/README.md describes it (key file copied by an init container, exec probes,
 * root user from the Secret), the ops ConfigMap built from the shipped scripts, and Jobs.
 */

export const NAMESPACE = 'mygate-data'
export const KEY = 'c2ltdWxhdGVkLXJlcGxpY2Etc2V0LWtleS1mb3ItdGVzdHMtb25seQ=='

export function namespace(): KubeObject {
  return {apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACE}}
}

export function credentialsSecret(db: string, overrides: {username?: string; password?: string} = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: `${db}-credentials`, namespace: NAMESPACE},
    stringData: {'root-username': overrides.username ?? 'root', 'root-password': overrides.password ?? 's3cret-pw', 'replica-set-key': KEY},
  }
}

export function opsConfigMap(name = 'mygate-db-ops'): KubeObject {
  const data = Object.fromEntries(Object.keys(CONTRACT.scripts).map((script) => [script, readFileSync(packagePath('templates', 'mongodb', 'ops', script), 'utf8')]))
  return {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name, namespace: NAMESPACE}, data}
}

export function headlessService(db: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {name: db, namespace: NAMESPACE},
    spec: {clusterIP: 'None', publishNotReadyAddresses: true, selector: {'app.kubernetes.io/name': db}, ports: [{name: 'mongodb', port: 27017, targetPort: 'mongodb'}]},
  }
}

/** A per-member Service for another region to reach (SVC.NS.svc.clusterset.local). */
export function memberService(name: string, pod: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {name, namespace: NAMESPACE},
    spec: {publishNotReadyAddresses: true, selector: {'statefulset.kubernetes.io/pod-name': pod}, ports: [{name: 'mongodb', port: 27017, targetPort: 'mongodb'}]},
  }
}

export interface StatefulSetOptions {
  replicas?: number
  /** Mount the key Secret directly (no init container): mongod must refuse it. */
  secretKeyFileMode?: number
  withoutKeyFile?: boolean
  readinessProbe?: Record<string, unknown>
  port?: number
}

export function mongodStatefulSet(db: string, options: StatefulSetOptions = {}): KubeObject {
  const direct = options.secretKeyFileMode !== undefined
  const keyPath = direct ? '/secret/replica-set-key' : '/keyfile/key'
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {name: db, namespace: NAMESPACE},
    spec: {
      serviceName: db,
      replicas: options.replicas ?? 3,
      podManagementPolicy: 'Parallel',
      selector: {matchLabels: {'app.kubernetes.io/name': db}},
      template: {
        metadata: {labels: {'app.kubernetes.io/name': db, 'app.kubernetes.io/version': '7.0'}},
        spec: {
          automountServiceAccountToken: false,
          securityContext: {runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: {type: 'RuntimeDefault'}},
          ...(direct || options.withoutKeyFile
            ? {}
            : {
                initContainers: [
                  {
                    name: 'keyfile',
                    image: 'mongo:7.0',
                    command: ['install', '-m', '0400', '/secret/replica-set-key', '/keyfile/key'],
                    securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: ['ALL']}},
                    volumeMounts: [
                      {name: 'key-secret', mountPath: '/secret', readOnly: true},
                      {name: 'keyfile', mountPath: '/keyfile'},
                    ],
                  },
                ],
              }),
          containers: [
            {
              name: 'mongod',
              image: 'mongo:7.0',
              args: ['--replSet', db, '--bind_ip_all', '--port', String(options.port ?? 27017), '--dbpath', '/data/db', ...(options.withoutKeyFile ? [] : ['--keyFile', keyPath])],
              ports: [{name: 'mongodb', containerPort: options.port ?? 27017, protocol: 'TCP'}],
              env: [
                {name: 'MONGO_INITDB_ROOT_USERNAME', valueFrom: {secretKeyRef: {name: `${db}-credentials`, key: 'root-username'}}},
                {name: 'MONGO_INITDB_ROOT_PASSWORD', valueFrom: {secretKeyRef: {name: `${db}-credentials`, key: 'root-password'}}},
              ],
              readinessProbe: options.readinessProbe ?? {exec: {command: [...PROBES.readiness]}, timeoutSeconds: 5, periodSeconds: 5},
              livenessProbe: {exec: {command: [...PROBES.liveness]}, timeoutSeconds: 5, periodSeconds: 10, initialDelaySeconds: 20},
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: {drop: ['ALL']}},
              volumeMounts: [
                {name: 'data', mountPath: '/data/db'},
                ...(direct ? [{name: 'key-secret', mountPath: '/secret', readOnly: true}] : options.withoutKeyFile ? [] : [{name: 'keyfile', mountPath: '/keyfile'}]),
              ],
            },
          ],
          volumes: [
            {name: 'key-secret', secret: {secretName: `${db}-credentials`, items: [{key: 'replica-set-key', path: 'replica-set-key'}], ...(direct ? {defaultMode: options.secretKeyFileMode} : {})}},
            {name: 'keyfile', emptyDir: {}},
          ],
        },
      },
      volumeClaimTemplates: [{metadata: {name: 'data'}, spec: {accessModes: ['ReadWriteOnce'], resources: {requests: {storage: '1Gi'}}}}],
    },
  }
}

export interface OpJobOptions {
  /** Connection string (no credentials in it: they come from env). */
  uri: string
  params?: Record<string, unknown>
  username?: string
  /** Secret key holding the password (default root-password). */
  passwordKey?: string
  extraArgs?: string[]
  script?: string
  backoffLimit?: number
}

/** A database operation Job as the contract shapes it. */
export function opJob(name: string, db: string, op: string, options: OpJobOptions): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {name, namespace: NAMESPACE, labels: {'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': db, 'mygate.dev/op': op}},
    spec: {
      backoffLimit: options.backoffLimit ?? 0,
      template: {
        metadata: {labels: {'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': db}},
        spec: {
          restartPolicy: 'Never',
          securityContext: {runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, seccompProfile: {type: 'RuntimeDefault'}},
          containers: [
            {
              name: 'op',
              image: 'mongo:7.0',
              command: ['mongosh'],
              args: ['--quiet', '--norc', ...(options.extraArgs ?? []), options.uri, '--file', `/ops/${options.script ?? `${op}.js`}`],
              env: [
                {name: CONTRACT.paramsEnv, value: JSON.stringify(options.params ?? {})},
                {name: CONTRACT.usernameEnv, ...(options.username ? {value: options.username} : {valueFrom: {secretKeyRef: {name: `${db}-credentials`, key: 'root-username'}}})},
                {name: CONTRACT.passwordEnv, valueFrom: {secretKeyRef: {name: `${db}-credentials`, key: options.passwordKey ?? 'root-password'}}},
              ],
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: {drop: ['ALL']}},
              volumeMounts: [{name: 'ops', mountPath: '/ops', readOnly: true}],
            },
          ],
          volumes: [{name: 'ops', configMap: {name: 'mygate-db-ops'}}],
        },
      },
    },
  }
}

export const memberHost = (db: string, ordinal: number): string => `${db}-${ordinal}.${db}.${NAMESPACE}.svc.cluster.local:27017`

/** The JSON object on the last line of a Job's log. */
export function lastJsonLine(log: string): Record<string, unknown> {
  const lines = log.trim().split('\n')
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>
}

export const toYaml = (objects: KubeObject[]): string => objects.map((o) => JSON.stringify(o)).join('\n---\n')

export const fixturePath = (...parts: string[]): string => join(packagePath('test', 'fixtures'), ...parts)
