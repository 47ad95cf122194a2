import type {AnySchemaObject} from 'ajv'

import {TIERS} from '../catalog/types.js'
import {DR_MODES, PROVIDERS} from './types.js'

/** The JSON schema of mygate.yaml as written (before defaults). The shape is documented in the shipped mygate.yaml. */

export const PROJECT_API_VERSION = 'mygate.dev/v1'
export const PROJECT_KIND = 'Project'

const strictObject = (properties: Record<string, AnySchemaObject>, required: string[] = []): AnySchemaObject => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...(required.length > 0 ? {required} : {}),
})

const region = {type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63, description: 'a region name such as ap-south-1'}
const registry = {
  type: 'string',
  pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$',
  description: 'an image registry host with optional port and path, without a scheme (e.g. registry.mygate.dev)',
}
const kubernetesVersion = {type: 'string', pattern: '^1\\.[0-9]+$', description: 'a Kubernetes minor version such as "1.30"'}
const nonEmpty = {type: 'string', minLength: 1}
const dnsName = {
  type: 'string',
  maxLength: 253,
  pattern: '^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
  description: 'a lower-case DNS name such as app.example.com (no trailing dot)',
}
/** Per-region entry point settings; which keys fit which provider is checked in load-project-config. */
const regionEntry = strictObject({
  tls: strictObject({
    certificateArn: {type: 'string', pattern: '^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[-a-zA-Z0-9]+$', description: 'an ACM certificate ARN'},
    certificateName: {type: 'string', pattern: '^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$', description: 'a certificate name (ManagedCertificate or pre-shared SSL certificate)'},
  }),
  waf: strictObject({
    webAclArn: {type: 'string', pattern: '^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/.+$', description: 'a regional WAFv2 web ACL ARN'},
    securityPolicy: {type: 'string', pattern: '^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$', description: 'a Cloud Armor security policy name'},
  }),
})

/**
 * `drift.ignore`: differences `mygate env diff` must not report (src/drift/ignore-list.ts).
 * A path is written the way `env diff` prints it: `spec.template.spec.containers[name=api].env`,
 * `metadata.annotations["example.com/owner"]`; `*` stands for one key or list selector value.
 */
const driftPath = {
  type: 'string',
  pattern: '^[A-Za-z_*][A-Za-z0-9_*-]*((\\.[A-Za-z_*][A-Za-z0-9_*-]*)|(\\[[A-Za-z0-9_.-]+=[^\\]]+\\])|(\\["[^"]+"\\]))*$',
  description: 'a field path as `mygate env diff` prints it, such as spec.template.spec.containers[name=api].env or metadata.annotations["example.com/owner"]',
}
const kindName = {type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$', description: 'a Kubernetes kind such as Deployment'}
const objectName = {type: 'string', pattern: '^[a-z0-9*]([-a-z0-9.*]*[a-z0-9*])?$', description: 'an object name (a DNS name; * matches any characters)'}
const drift = strictObject({
  ignore: {
    type: 'array',
    items: strictObject({kind: kindName, name: objectName, namespace: objectName, paths: {type: 'array', minItems: 1, items: driftPath}}, ['kind', 'paths']),
  },
})

const environment = strictObject(
  {
    tier: {enum: [...TIERS]},
    provider: {enum: [...PROVIDERS]},
    regions: strictObject({primary: region, secondary: region}, ['primary']),
    drMode: {enum: [...DR_MODES]},
    registry,
    versions: {
      type: 'object',
      additionalProperties: {type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$', description: 'an image tag such as "1.4.2"'},
    },
    mesh: {type: 'boolean'},
    ttl: {type: 'string', format: 'duration', description: 'a duration such as 8h or 7d'},
    context: nonEmpty,
    kubeconfig: nonEmpty,
    aws: strictObject({
      kubernetesVersion,
      subnetIds: {type: 'array', minItems: 2, items: {type: 'string', pattern: '^subnet-[0-9a-f]+$', description: 'a subnet id such as subnet-0abc123'}},
      clusterRoleArn: {type: 'string', pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$', description: 'an IAM role ARN'},
      nodeRoleArn: {type: 'string', pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$', description: 'an IAM role ARN'},
    }),
    gcp: strictObject({
      project: {type: 'string', pattern: '^[a-z][-a-z0-9]{4,28}[a-z0-9]$', description: 'a GCP project id'},
      kubernetesVersion,
      network: nonEmpty,
    }),
    dns: strictObject({zone: dnsName, name: dnsName}, ['zone', 'name']),
    entry: {type: 'object', additionalProperties: regionEntry},
    drift,
  },
  ['tier', 'regions'],
)

/** One environment entry, as under `environments.NAME` (also the body of an `--file` env file). */
export const environmentSchema: AnySchemaObject = environment

export const projectSchema: AnySchemaObject = strictObject(
  {
    apiVersion: {const: PROJECT_API_VERSION},
    kind: {const: PROJECT_KIND},
    registry,
    environments: {type: 'object', minProperties: 1, additionalProperties: environment},
  },
  ['apiVersion', 'kind', 'registry', 'environments'],
)

export interface RawEnvironment {
  tier: (typeof TIERS)[number]
  provider?: (typeof PROVIDERS)[number]
  regions: {primary: string; secondary?: string}
  drMode?: (typeof DR_MODES)[number]
  registry?: string
  versions?: Record<string, string>
  mesh?: boolean
  ttl?: string
  context?: string
  kubeconfig?: string
  aws?: {kubernetesVersion?: string; subnetIds?: string[]; clusterRoleArn?: string; nodeRoleArn?: string}
  gcp?: {project?: string; kubernetesVersion?: string; network?: string}
  dns?: {zone: string; name: string}
  entry?: Record<string, {tls?: {certificateArn?: string; certificateName?: string}; waf?: {webAclArn?: string; securityPolicy?: string}}>
  drift?: {ignore?: DriftIgnoreEntry[]}
}

/** One `drift.ignore` entry: an object kind, optionally a name and namespace (globs), and field paths. */
export interface DriftIgnoreEntry {
  kind: string
  name?: string
  namespace?: string
  paths: string[]
}

export interface RawProject {
  apiVersion: string
  kind: string
  registry: string
  environments: Record<string, RawEnvironment>
}
