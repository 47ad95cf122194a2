import type {AnySchemaObject} from 'ajv'

import {CPU_PATTERN, MEMORY_PATTERN} from './quantity.js'
import {ROLLOUT_STRATEGIES, SECRET_GENERATORS, SERVICE_KINDS, TIERS} from './types.js'

/**
 * The JSON schema of a services/*.yaml file, as written (before defaults). Rules that depend on
 * the service type (an app needs probes and autoscaling, a database needs storage and backups)
 * or on other fields (canary steps increasing, requests <= limits) live in descriptor-checks.ts,
 * where they can say why in words; cross-file rules live in catalog-checks.ts.
 */

export const DESCRIPTOR_API_VERSION = 'mygate.dev/v1'
export const DESCRIPTOR_KIND = 'ServiceDescriptor'
/** The YAML key `type` holds what the TS type calls `kind` (YAML's `kind` is the document kind). */
export const SERVICE_TYPES = SERVICE_KINDS

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
const name = {type: 'string', pattern: DNS_LABEL, maxLength: 63, description: 'a lowercase DNS label (a-z, 0-9, -)'}
const duration = {type: 'string', format: 'duration', description: 'a duration such as 30s, 5m, 1h30m or 7d'}

const strictObject = (properties: Record<string, AnySchemaObject>, required: string[] = []): AnySchemaObject => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...(required.length > 0 ? {required} : {}),
})

const quantities = strictObject(
  {
    cpu: {type: 'string', pattern: CPU_PATTERN, description: 'a CPU quantity such as 250m or 1'},
    memory: {type: 'string', pattern: MEMORY_PATTERN, description: 'a memory quantity such as 256Mi or 1Gi'},
  },
  ['cpu', 'memory'],
)

const tierSettings = strictObject(
  {
    replicas: {type: 'integer', minimum: 0, maximum: 100},
    resources: strictObject({requests: quantities, limits: quantities}, ['requests', 'limits']),
    storage: {type: 'string', pattern: MEMORY_PATTERN, description: 'a storage size such as 10Gi'},
  },
  ['replicas', 'resources'],
)

/** How many daily, weekly or monthly backups retention keeps (backup-prune's keep-daily/weekly/monthly). */
const keepCount = {type: 'integer', minimum: 0, maximum: 3650, description: 'a count of backups to keep, 0 to 3650'}

const httpPath = {type: 'string', pattern: '^/[^\\s]*$', description: 'an HTTP path starting with /'}

export const descriptorSchema: AnySchemaObject = strictObject(
  {
    apiVersion: {const: DESCRIPTOR_API_VERSION},
    kind: {const: DESCRIPTOR_KIND},
    name,
    description: {type: 'string', minLength: 1},
    type: {enum: [...SERVICE_TYPES]},
    image: strictObject(
      {
        repository: {
          type: 'string',
          pattern: '^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$',
          description: 'an image repository without registry or tag, such as mygate/billing',
        },
        tag: {type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$', description: 'an image tag such as "1.4.2"'},
      },
      ['repository', 'tag'],
    ),
    port: {type: 'integer', minimum: 1, maximum: 65535},
    probes: strictObject({
      type: {enum: ['http', 'tcp']},
      liveness: httpPath,
      readiness: httpPath,
    }),
    tiers: strictObject(Object.fromEntries(TIERS.map((tier) => [tier, tierSettings])), [...TIERS]),
    autoscaling: strictObject(
      {
        minReplicas: {type: 'integer', minimum: 1, maximum: 100},
        maxReplicas: {type: 'integer', minimum: 1, maximum: 100},
        targetCPUUtilizationPercentage: {type: 'integer', minimum: 1, maximum: 100},
      },
      ['minReplicas', 'maxReplicas', 'targetCPUUtilizationPercentage'],
    ),
    rollout: strictObject(
      {
        strategy: {enum: [...ROLLOUT_STRATEGIES]},
        canarySteps: {type: 'array', minItems: 1, items: {type: 'integer', minimum: 1, maximum: 100}},
        stepPause: duration,
        analysis: strictObject(
          {
            maxErrorRate: {type: 'number', minimum: 0, maximum: 1},
            maxP99LatencyMs: {type: 'integer', minimum: 1, maximum: 600_000},
            interval: duration,
            failureLimit: {type: 'integer', minimum: 1, maximum: 100},
            minRequests: {type: 'integer', minimum: 1, maximum: 1_000_000},
          },
          ['maxErrorRate', 'maxP99LatencyMs', 'interval', 'failureLimit'],
        ),
      },
      ['strategy'],
    ),
    dependencies: strictObject({
      database: name,
      cache: name,
      services: {type: 'array', items: name, uniqueItems: true},
    }),
    secrets: {
      type: 'array',
      items: strictObject(
        {
          env: {type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$', description: 'an environment variable name such as DATABASE_URL'},
          secretName: {
            type: 'string',
            pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
            maxLength: 253,
            description: 'a Kubernetes Secret name (lowercase letters, digits, - and .)',
          },
          key: {type: 'string', pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253, description: 'a Secret key (letters, digits, -, _ and .)'},
          generate: {enum: [...SECRET_GENERATORS]},
        },
        ['env', 'secretName', 'key'],
      ),
    },
    criticality: strictObject(
      {level: {enum: ['critical', 'high', 'standard']}, rto: duration, rpo: duration},
      ['level', 'rto', 'rpo'],
    ),
    backup: strictObject(
      {
        enabled: {type: 'boolean'},
        schedule: {type: 'string', format: 'cron', description: 'a 5-field cron schedule such as "0 2 * * *"'},
        timeZone: {type: 'string', minLength: 1, description: 'an IANA time zone such as Asia/Kolkata (the schedule and the retention calendar)'},
        retention: duration,
        keepDaily: keepCount,
        keepWeekly: keepCount,
        keepMonthly: keepCount,
      },
      ['enabled'],
    ),
    spot: {type: 'boolean'},
  },
  ['apiVersion', 'kind', 'name', 'description', 'type', 'image', 'port', 'tiers', 'criticality', 'spot'],
)

/** A descriptor as written in YAML, after schema validation (optional parts not yet defaulted). */
export interface RawDescriptor {
  apiVersion: string
  kind: string
  name: string
  description: string
  type: (typeof SERVICE_TYPES)[number]
  image: {repository: string; tag: string}
  port: number
  probes?: {type?: 'http' | 'tcp'; liveness?: string; readiness?: string}
  tiers: Record<(typeof TIERS)[number], {
    replicas: number
    resources: {requests: {cpu: string; memory: string}; limits: {cpu: string; memory: string}}
    storage?: string
  }>
  autoscaling?: {minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number}
  rollout?: {
    strategy: (typeof ROLLOUT_STRATEGIES)[number]
    canarySteps?: number[]
    stepPause?: string
    analysis?: {maxErrorRate: number; maxP99LatencyMs: number; interval: string; failureLimit: number; minRequests?: number}
  }
  dependencies?: {database?: string; cache?: string; services?: string[]}
  secrets?: Array<{env: string; secretName: string; key: string; generate?: (typeof SECRET_GENERATORS)[number]}>
  criticality: {level: 'critical' | 'high' | 'standard'; rto: string; rpo: string}
  backup?: {enabled: boolean; schedule?: string; timeZone?: string; retention?: string; keepDaily?: number; keepWeekly?: number; keepMonthly?: number}
  spot: boolean
}
