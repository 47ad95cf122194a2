import type {KubeObject} from '../../kube/types.js'
import {apiErrors} from './api-error.js'

/** One parsed label requirement; `values` is empty for exists / !exists. */
export interface LabelRequirement {
  key: string
  operator: 'in' | 'notin' | 'exists' | '!exists' | 'gt' | 'lt'
  values: string[]
}

export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean

/**
 * Parses the label selector syntax of `?labelSelector=` (`a=b,c!=d,e in (x,y),f notin (z),g,!h`).
 * `=` and `==` are `in` with one value and `!=` is `notin`, as in apimachinery. Throws a 400 ApiError.
 */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const requirements: LabelRequirement[] = []
  let rest = text.trim()
  while (rest !== '') {
    const match =
      /^(!?)\s*([A-Za-z0-9._/-]+)\s*(?:(==|=|!=|>|<)\s*([A-Za-z0-9._-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*(,|$)/.exec(rest)
    if (!match) throw apiErrors.badRequest(`unable to parse requirement: invalid label selector "${text}"`)
    const [whole, not, key, op, value, setOp, setValues] = match
    if (not && (op || setOp)) throw apiErrors.badRequest(`unable to parse requirement: invalid label selector "${text}"`)
    if (setOp) {
      const values = setValues.split(',').map((v) => v.trim()).filter((v) => v !== '')
      requirements.push({key, operator: setOp as 'in' | 'notin', values})
    } else if (op) {
      const operator = op === '!=' ? 'notin' : op === '>' ? 'gt' : op === '<' ? 'lt' : 'in'
      requirements.push({key, operator, values: [value ?? '']})
    } else {
      requirements.push({key, operator: not ? '!exists' : 'exists', values: []})
    }
    rest = rest.slice(whole.length).trim()
  }
  return requirements
}

function matchesRequirement(labels: Record<string, string>, r: LabelRequirement): boolean {
  const has = Object.hasOwn(labels, r.key)
  const value = labels[r.key]
  switch (r.operator) {
    case 'exists':
      return has
    case '!exists':
      return !has
    case 'in':
      return has && r.values.includes(value)
    case 'notin':
      return !has || !r.values.includes(value)
    case 'gt':
      return has && Number(value) > Number(r.values[0])
    case 'lt':
      return has && Number(value) < Number(r.values[0])
  }
}

export function labelMatcher(requirements: LabelRequirement[]): LabelMatcher {
  if (requirements.length === 0) return () => true
  return (labels) => requirements.every((r) => matchesRequirement(labels ?? {}, r))
}

/** A compiled `?labelSelector=` string; an empty or missing selector matches everything. */
export function compileLabelSelector(text: string | undefined): LabelMatcher {
  return text ? labelMatcher(parseLabelSelector(text)) : () => true
}

/** The structured selector of Deployments, ReplicaSets, PDBs... (metav1.LabelSelector). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[]}>
}

/** Matches a metav1.LabelSelector; an empty selector matches everything, as the API defines. */
export function compileLabelSelectorObject(selector: LabelSelectorObject | undefined): LabelMatcher {
  const requirements: LabelRequirement[] = []
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) requirements.push({key, operator: 'in', values: [value]})
  for (const e of selector?.matchExpressions ?? []) {
    const operator = ({In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists'} as const)[e.operator]
    requirements.push({key: e.key, operator, values: e.values ?? []})
  }
  return labelMatcher(requirements)
}

/** Renders a metav1.LabelSelector as selector text (`a=b,c in (x,y)`), e.g. for a Scale's status.selector. */
export function formatLabelSelectorObject(selector: LabelSelectorObject | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const e of selector?.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key)
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
    else parts.push(`${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`)
  }
  return parts.join(',')
}

export interface FieldRequirement {
  path: string[]
  negate: boolean
  value: string
}

export type ObjectMatcher = (object: KubeObject) => boolean

/**
 * Parses `?fieldSelector=` (`metadata.name=x,status.phase!=Running`). Any simple dotted path is
 * accepted (the real server has a per-kind list; accepting more is harmless for a local cluster).
 */
export function parseFieldSelector(text: string): FieldRequirement[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const match = /^([A-Za-z0-9._-]+)\s*(==|=|!=)\s*(.*)$/.exec(part)
      if (!match) throw apiErrors.badRequest(`invalid field selector: "${text}": invalid selector: '${part}'; can't understand '${part}'`)
      return {path: match[1].split('.'), negate: match[2] === '!=', value: match[3].replaceAll('\\,', ',')}
    })
}

function fieldValue(object: KubeObject, path: string[]): string {
  let current: unknown = object
  for (const key of path) {
    if (current === null || typeof current !== 'object') return ''
    current = (current as Record<string, unknown>)[key]
  }
  if (current === undefined || current === null) return ''
  return typeof current === 'object' ? JSON.stringify(current) : String(current)
}

export function compileFieldSelector(text: string | undefined): ObjectMatcher {
  if (!text) return () => true
  const requirements = parseFieldSelector(text)
  return (object) => requirements.every((r) => (fieldValue(object, r.path) === r.value) !== r.negate)
}

/** If a field selector pins metadata.name (kubectl wait / rollout status do), the name: a fast path. */
export function exactNameFromFieldSelector(text: string | undefined): string | undefined {
  if (!text) return undefined
  const requirement = parseFieldSelector(text).find((r) => !r.negate && r.path.join('.') === 'metadata.name')
  return requirement?.value
}
