import type {StatusCause} from '../../store/api-error.js'
import type {PodSecurityLevel} from './standards.js'

/**
 * A namespace's Pod Security policy, read from its labels as pod-security-admission does
 * (k8s.io/pod-security-admission/api, PolicyToEvaluate):
 *
 *   pod-security.kubernetes.io/enforce: restricted        (reject violating pods)
 *   pod-security.kubernetes.io/enforce-version: v1.29     (default latest)
 *   pod-security.kubernetes.io/warn: baseline              (Warning header to the client)
 *   pod-security.kubernetes.io/audit: restricted           (audit log annotations only)
 *
 * No label means privileged. A warn level left unset follows a stricter enforce level. An
 * invalid level or version is an error on the namespace write (422) and, when found on an
 * existing namespace, evaluates as restricted/latest for enforce (fail closed) and privileged
 * for warn and audit (fail open), as upstream.
 */

export const LABEL_PREFIX = 'pod-security.kubernetes.io/'

export interface LevelVersion {
  level: PodSecurityLevel
  /** A Kubernetes 1.x minor version, or latest. */
  version: number | 'latest'
}

export interface PodSecurityPolicy {
  enforce: LevelVersion
  warn: LevelVersion
  audit: LevelVersion
}

export const PRIVILEGED: LevelVersion = {level: 'privileged', version: 'latest'}

const LEVELS: PodSecurityLevel[] = ['privileged', 'baseline', 'restricted']

/** `restricted:latest`, `baseline:v1.29`: how messages name a level and version. */
export function formatLevelVersion(lv: LevelVersion): string {
  return `${lv.level}:${lv.version === 'latest' ? 'latest' : `v1.${lv.version}`}`
}

const rank = (level: PodSecurityLevel): number => LEVELS.indexOf(level)

function parseLevel(value: string): PodSecurityLevel | undefined {
  return (LEVELS as string[]).includes(value) ? (value as PodSecurityLevel) : undefined
}

function parseVersion(value: string): number | 'latest' | undefined {
  if (value === 'latest') return 'latest'
  const match = /^v1\.(0|[1-9]\d*)$/.exec(value)
  return match ? Number(match[1]) : undefined
}

/** The policy a namespace's labels describe, and the label errors (empty when valid). */
export function policyFromLabels(labels: Record<string, string> | undefined): {policy: PodSecurityPolicy; errors: StatusCause[]} {
  const errors: StatusCause[] = []
  const policy: PodSecurityPolicy = {enforce: {...PRIVILEGED}, warn: {...PRIVILEGED}, audit: {...PRIVILEGED}}
  const invalid = (label: string, value: string, why: string) =>
    errors.push({reason: 'FieldValueInvalid', field: `metadata.labels[${LABEL_PREFIX}${label}]`, message: `Invalid value: ${JSON.stringify(value)}: ${why}`})
  const levelWhy = `must be one of ${LEVELS.join(', ')}`
  const versionWhy = 'must be "latest" or "v1.x"'
  const all = labels ?? {}
  let enforceSet = false
  let warnLevelSet = false
  let warnVersionSet = false
  for (const mode of ['enforce', 'audit', 'warn'] as const) {
    const levelText = all[`${LABEL_PREFIX}${mode}`]
    if (levelText !== undefined) {
      const level = parseLevel(levelText)
      if (level) policy[mode].level = level
      else {
        invalid(mode, levelText, levelWhy)
        // Fail closed for enforce, open for audit and warn.
        policy[mode].level = mode === 'enforce' ? 'restricted' : 'privileged'
      }
      if (mode === 'enforce') enforceSet = level !== undefined
      if (mode === 'warn') warnLevelSet = true
    }
    const versionText = all[`${LABEL_PREFIX}${mode}-version`]
    if (versionText !== undefined) {
      const version = parseVersion(versionText)
      if (version === undefined) invalid(`${mode}-version`, versionText, versionWhy)
      policy[mode].version = version ?? 'latest'
      if (mode === 'warn') warnVersionSet = true
    }
  }
  if (!warnLevelSet && enforceSet && rank(policy.enforce.level) > rank(policy.warn.level)) {
    policy.warn.level = policy.enforce.level
    if (!warnVersionSet) policy.warn.version = policy.enforce.version
  }
  return {policy, errors}
}

export function sameLevelVersion(a: LevelVersion, b: LevelVersion): boolean {
  return (a.level === 'privileged' && b.level === 'privileged') || (a.level === b.level && a.version === b.version)
}

/** Whether `next` enforces more than `previous` (same version, stricter level, or another version). */
export function enforceTightened(previous: LevelVersion, next: LevelVersion): boolean {
  if (sameLevelVersion(previous, next) || next.level === 'privileged') return false
  return previous.version !== next.version || rank(next.level) > rank(previous.level)
}
