/** A Kubernetes LabelSelector (matchLabels + matchExpressions) as plain data. */
export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{key: string; operator: string; values?: string[]}>
}

/**
 * True when `labels` satisfy `selector`. An empty selector matches everything (as for a
 * Deployment's selector); callers that need "empty matches nothing" (Services) check first.
 */
export function matchesSelector(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {}
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    if (have[key] !== value) return false
  }
  for (const expression of selector?.matchExpressions ?? []) {
    const present = Object.hasOwn(have, expression.key)
    const values = expression.values ?? []
    switch (expression.operator) {
      case 'In':
        if (!present || !values.includes(have[expression.key])) return false
        break
      case 'NotIn':
        if (present && values.includes(have[expression.key])) return false
        break
      case 'Exists':
        if (!present) return false
        break
      case 'DoesNotExist':
        if (present) return false
        break
      default:
        // An operator we do not know selects nothing rather than everything.
        return false
    }
  }
  return true
}

/** A Service-style selector (a plain map): every pair must match; an empty map matches nothing. */
export function matchesMapSelector(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {})
  if (entries.length === 0) return false
  return entries.every(([key, value]) => labels?.[key] === value)
}
