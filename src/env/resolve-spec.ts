import type {AnySchemaObject} from 'ajv'

import type {Tier} from '../catalog/types.js'
import {isDns1123Label, toEnvironmentSpec} from '../config/load-project-config.js'
import {environmentSchema, type RawEnvironment} from '../config/project-schema.js'
import {compileSchema} from '../config/schema-validation.js'
import type {DrMode, EnvironmentSpec, ProjectConfig, ProviderName} from '../config/types.js'
import {problemsError, readYamlSource} from '../config/yaml-source.js'
import {parseDuration} from '../duration.js'
import {checkDistinctRegions} from '../providers/naming.js'
import {UsageError} from '../errors.js'

/** Flags of `mygate env create` that override the configured environment. */
export interface EnvironmentOverrides {
  provider?: ProviderName
  tier?: Tier
  region?: string
  secondaryRegion?: string
  drMode?: DrMode
  context?: string
  ttl?: string
  /** An env file: one environment entry, as under `environments.NAME` in mygate.yaml. */
  file?: string
}

/** Where a provider's clusters go when nothing names a region. */
export const DEFAULT_REGION: Record<ProviderName, string> = {
  local: 'local-1',
  kubeconfig: 'default',
  aws: 'ap-south-1',
  gcp: 'asia-south1',
}

const ENV_FILE_HINT = 'an env file holds one environment entry, with the keys documented in the shipped mygate.yaml'

const envFileSchema: AnySchemaObject = {
  ...environmentSchema,
  properties: {
    ...(environmentSchema.properties as Record<string, AnySchemaObject>),
    apiVersion: {const: 'mygate.dev/v1'},
    kind: {const: 'Environment'},
    name: {type: 'string'},
  },
  required: [],
}
let envFileCheck: ReturnType<typeof compileSchema> | undefined

async function readEnvFile(file: string): Promise<Partial<RawEnvironment> & {name?: string}> {
  const source = await readYamlSource(file, ENV_FILE_HINT)
  envFileCheck ??= compileSchema(envFileSchema)
  const problems = envFileCheck(source.data ?? {})
  if (problems.length > 0) throw problemsError(source, problems, ENV_FILE_HINT)
  return (source.data ?? {}) as Partial<RawEnvironment> & {name?: string}
}

/**
 * The environment `mygate env create NAME` builds: the entry of the same name in mygate.yaml (or
 * defaults: tier dev on provider local), then the env file, then the flags. Pure apart from
 * reading the env file; every bad value is a UsageError naming it.
 */
export async function resolveCreateSpec(name: string, config: ProjectConfig, overrides: EnvironmentOverrides): Promise<EnvironmentSpec> {
  if (!isDns1123Label(name)) {
    throw new UsageError(`environment name "${name}" is not a DNS-1123 label`, {hint: 'use lower-case letters, digits and dashes (at most 63), e.g. demo or pr-123'})
  }
  const configured = config.environments.find((e) => e.name === name)
  const file = overrides.file ? await readEnvFile(overrides.file) : undefined
  if (file?.name !== undefined && file.name !== name) {
    throw new UsageError(`env file ${overrides.file} describes "${file.name}", not "${name}"`, {hint: `run \`mygate env create ${file.name} --file ${overrides.file}\``})
  }

  let spec: EnvironmentSpec = configured ?? {
    name,
    tier: 'dev',
    provider: 'local',
    regions: {primary: DEFAULT_REGION.local},
    drMode: 'warm-standby',
    registry: config.registry,
    versions: {},
    mesh: false,
  }
  if (file) {
    const {name: _name, apiVersion: _a, kind: _k, ...entry} = file as Record<string, unknown>
    const merged = {...specToRaw(spec), ...entry} as RawEnvironment
    spec = toEnvironmentSpec(name, merged, spec.registry)
  }

  const provider = overrides.provider ?? spec.provider
  // Switching provider without naming a region: that provider's default, not the old one's.
  const primary = overrides.region ?? (provider === spec.provider ? spec.regions.primary : DEFAULT_REGION[provider])
  const secondary = overrides.secondaryRegion ?? (provider === spec.provider ? spec.regions.secondary : undefined)
  checkDistinctRegions({primary, secondary})
  const ttl = overrides.ttl ?? spec.ttl
  if (ttl !== undefined && parseDuration(ttl, '--ttl') <= 0) throw new UsageError(`--ttl "${ttl}" must be longer than 0`, {hint: 'e.g. --ttl 8h'})
  const context = overrides.context ?? spec.context
  if (provider === 'kubeconfig' && !context) {
    throw new UsageError('provider kubeconfig needs a context', {hint: 'pass --context NAME (see `kubectl config get-contexts`)'})
  }
  return {
    ...spec,
    provider,
    tier: overrides.tier ?? spec.tier,
    regions: {primary, ...(secondary ? {secondary} : {})},
    drMode: overrides.drMode ?? spec.drMode,
    ...(ttl !== undefined ? {ttl} : {}),
    ...(context !== undefined ? {context} : {}),
  }
}

function specToRaw(spec: EnvironmentSpec): RawEnvironment {
  const {name: _name, ...rest} = spec
  return rest as RawEnvironment
}
