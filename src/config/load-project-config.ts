import {existsSync} from 'node:fs'
import {isAbsolute, join, resolve} from 'node:path'

import {NotFoundError, UsageError, oneOf} from '../errors.js'
import {parseDuration} from '../duration.js'
import {packagePath} from '../package-root.js'
import {type RawEnvironment, type RawProject, projectSchema} from './project-schema.js'
import {compileSchema} from './schema-validation.js'
import type {EnvironmentSpec, ProjectConfig} from './types.js'
import {type Problem, displayPath, problemsError, readYamlSource} from './yaml-source.js'

export const CONFIG_FILE_NAME = 'mygate.yaml'

export interface LoadProjectConfigOptions {
  /** An explicit file (from --config or $MYGATE_CONFIG); it must exist. Relative to `cwd`. */
  configPath?: string
  /** Where to look for mygate.yaml when no path is given. Default: process.cwd(). */
  cwd?: string
}

const HINT = `fix the field in that file; the mygate.yaml shipped with mygate documents every field`

let schemaCheck: ReturnType<typeof compileSchema> | undefined

/** Kubernetes' DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric, at most 63. */
export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)
}

/** Which file to read: the explicit path, else ./mygate.yaml, else the package's shipped default. */
export function findProjectConfig(options: LoadProjectConfigOptions = {}): {file: string; builtIn: boolean} {
  const cwd = options.cwd ?? process.cwd()
  if (options.configPath !== undefined && options.configPath.trim() !== '') {
    const file = isAbsolute(options.configPath) ? options.configPath : resolve(cwd, options.configPath)
    if (!existsSync(file)) {
      throw new UsageError(`config file ${displayPath(file)} does not exist`, {
        hint: 'check --config or $MYGATE_CONFIG, or drop them to use ./mygate.yaml',
      })
    }
    return {file, builtIn: false}
  }
  const local = join(cwd, CONFIG_FILE_NAME)
  if (existsSync(local)) return {file: local, builtIn: false}
  return {file: packagePath(CONFIG_FILE_NAME), builtIn: true}
}

/**
 * Loads, validates and resolves the project config. Every problem (YAML syntax, unknown key,
 * wrong type, bad environment name, provider settings that do not fit the provider) throws a
 * UsageError reading `FILE:LINE: FIELD what is wrong`.
 */
export async function loadProjectConfig(options: LoadProjectConfigOptions = {}): Promise<ProjectConfig> {
  const {file, builtIn} = findProjectConfig(options)
  const source = await readYamlSource(file, HINT)
  schemaCheck ??= compileSchema(projectSchema)
  const problems = schemaCheck(source.data)
  if (problems.length === 0) problems.push(...checkProject(source.data as RawProject))
  if (problems.length > 0) throw problemsError(source, problems, HINT)
  const raw = source.data as RawProject
  return {
    ...(builtIn ? {} : {file}),
    registry: raw.registry,
    environments: Object.entries(raw.environments).map(([name, env]) => toEnvironmentSpec(name, env, raw.registry)),
  }
}

function checkProject(raw: RawProject): Problem[] {
  const problems: Problem[] = []
  for (const [name, env] of Object.entries(raw.environments)) {
    const at = (...rest: Array<string | number>) => ['environments', name, ...rest]
    if (!isDns1123Label(name)) {
      problems.push({path: at(), at: 'key', message: 'is not a valid environment name: use a lowercase DNS label (a-z, 0-9, -; at most 63 characters)'})
    }
    const provider = env.provider ?? 'local'
    if (env.regions.secondary !== undefined && env.regions.secondary === env.regions.primary) {
      problems.push({path: at('regions', 'secondary'), message: `must differ from regions.primary (${env.regions.primary})`})
    }
    if (env.drMode !== undefined && env.regions.secondary === undefined) {
      problems.push({path: at('drMode'), message: 'needs regions.secondary (disaster recovery fails over to the secondary region)'})
    }
    for (const field of ['context', 'kubeconfig'] as const) {
      if (env[field] !== undefined && provider !== 'kubeconfig') {
        problems.push({path: at(field), at: 'key', message: `is only used with provider kubeconfig (this environment uses ${provider})`})
      }
    }
    for (const cloud of ['aws', 'gcp'] as const) {
      if (env[cloud] !== undefined && provider !== cloud) {
        problems.push({path: at(cloud), at: 'key', message: `is only used with provider ${cloud} (this environment uses ${provider})`})
      }
    }
    for (const service of Object.keys(env.versions ?? {})) {
      if (!isDns1123Label(service)) problems.push({path: at('versions', service), at: 'key', message: 'is not a service name (lowercase DNS label)'})
    }
    if (env.ttl !== undefined && parseDuration(env.ttl) === 0) problems.push({path: at('ttl'), message: 'must be longer than 0'})
    problems.push(...checkTrafficEntry(env, provider, at))
  }
  return problems
}

/**
 * `dns` and `entry`: the name lies inside the zone (not at its apex: failover and weighted records
 * are CNAMEs, which the apex cannot hold), entries name the environment's regions, and each
 * setting fits the provider. ACM certificates and regional WAF web ACLs live in one region, so an
 * ARN must name the region it is used in.
 */
function checkTrafficEntry(env: RawEnvironment, provider: string, at: (...rest: Array<string | number>) => Array<string | number>): Problem[] {
  const problems: Problem[] = []
  if (env.dns !== undefined) {
    if (provider === 'kubeconfig') {
      problems.push({path: at('dns'), at: 'key', message: 'is not used with provider kubeconfig: those clusters bring their own DNS'})
    } else if (!env.dns.name.endsWith(`.${env.dns.zone}`)) {
      problems.push({path: at('dns', 'name'), message: `must be a name inside the zone ${env.dns.zone} (e.g. app.${env.dns.zone}); the zone apex cannot hold failover CNAME records`})
    }
  }
  const regions = [env.regions.primary, env.regions.secondary].filter((r): r is string => r !== undefined)
  const onlyWith: Record<string, string> = {certificateArn: 'aws', webAclArn: 'aws', certificateName: 'gcp', securityPolicy: 'gcp'}
  for (const [region, entry] of Object.entries(env.entry ?? {})) {
    if (!regions.includes(region)) {
      problems.push({path: at('entry', region), at: 'key', message: `is not a region of this environment (its regions: ${regions.join(', ')})`})
      continue
    }
    for (const [group, settings] of [['tls', entry.tls], ['waf', entry.waf]] as const) {
      for (const [key, value] of Object.entries(settings ?? {})) {
        if (onlyWith[key] !== provider) {
          problems.push({path: at('entry', region, group, key), at: 'key', message: `is only used with provider ${onlyWith[key]} (this environment uses ${provider})`})
        } else if (key.endsWith('Arn') && String(value).split(':')[3] !== region) {
          problems.push({path: at('entry', region, group, key), message: `names region ${String(value).split(':')[3]}, but this entry is for ${region}: ${key === 'certificateArn' ? 'ACM certificates' : 'regional web ACLs'} are used only in their own region`})
        }
      }
    }
    if (entry.tls?.certificateArn !== undefined && entry.tls.certificateName !== undefined) {
      problems.push({path: at('entry', region, 'tls'), at: 'key', message: 'takes certificateArn (aws) or certificateName (gcp), not both'})
    }
  }
  return problems
}

/** A validated raw environment entry with defaults applied. */
export function toEnvironmentSpec(name: string, env: RawEnvironment, registry: string): EnvironmentSpec {
  return {
    name,
    tier: env.tier,
    provider: env.provider ?? 'local',
    regions: {primary: env.regions.primary, ...(env.regions.secondary ? {secondary: env.regions.secondary} : {})},
    drMode: env.drMode ?? 'warm-standby',
    registry: env.registry ?? registry,
    versions: {...env.versions},
    mesh: env.mesh ?? false,
    ...(env.ttl !== undefined ? {ttl: env.ttl} : {}),
    ...(env.context !== undefined ? {context: env.context} : {}),
    ...(env.kubeconfig !== undefined ? {kubeconfig: env.kubeconfig} : {}),
    ...(env.aws !== undefined ? {aws: {...env.aws}} : {}),
    ...(env.gcp !== undefined ? {gcp: {...env.gcp}} : {}),
    ...(env.dns !== undefined ? {dns: {...env.dns}} : {}),
    ...(env.entry !== undefined ? {entry: structuredClone(env.entry)} : {}),
    ...(env.drift?.ignore !== undefined ? {drift: {ignore: env.drift.ignore.map((entry) => ({...entry, paths: [...entry.paths]}))}} : {}),
  }
}

/** The named environment, or a NotFoundError listing the configured ones. */
export function resolveEnvironment(config: ProjectConfig, name: string): EnvironmentSpec {
  const environment = config.environments.find((env) => env.name === name)
  if (environment) return environment
  const known = config.environments.map((env) => env.name)
  const where = config.file ? displayPath(config.file) : 'the built-in mygate.yaml'
  throw new NotFoundError(`unknown environment "${name}": ${where} defines ${oneOf(known)}`, {
    hint: `run \`mygate env list\`, or add "${name}" under environments in mygate.yaml`,
    details: {name, known},
  })
}
