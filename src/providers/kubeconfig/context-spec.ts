import type {EnvironmentSpec} from '../../config/types.js'
import {UsageError} from '../../errors.js'

/**
 * Which existing context serves which region. The syntax is explicit and positional:
 *
 *   --context PRIMARY_CONTEXT                     one region
 *   --context PRIMARY_CONTEXT,SECONDARY_CONTEXT   with --secondary-region
 *
 * e.g. `--context kind-east,kind-west --region east --secondary-region west`. Context names with a
 * comma cannot be used (kubectl's own names never have one).
 */
export interface ContextAssignment {
  region: string
  role: 'primary' | 'secondary'
  context: string
}

export function parseContextSpec(env: EnvironmentSpec): ContextAssignment[] {
  const spec = env.context?.trim()
  if (!spec) {
    throw new UsageError(`environment ${env.name} uses the kubeconfig provider but names no context`, {
      hint: 'pass --context NAME (see `kubectl config get-contexts`)',
    })
  }
  const names = spec.split(',').map((name) => name.trim())
  if (names.some((name) => name === '') || names.length > 2) {
    throw new UsageError(`--context "${spec}" is not CONTEXT or PRIMARY_CONTEXT,SECONDARY_CONTEXT`, {
      hint: 'name one context, or two separated by a comma when the environment has a secondary region',
    })
  }
  const secondary = env.regions.secondary
  if (secondary !== undefined && names.length === 1) {
    throw new UsageError(`environment ${env.name} has a secondary region (${secondary}) but --context names one context`, {
      hint: `pass --context ${names[0]},SECONDARY_CONTEXT`,
    })
  }
  if (secondary === undefined && names.length === 2) {
    throw new UsageError(`--context "${spec}" names two contexts but the environment has no secondary region`, {
      hint: 'add --secondary-region NAME, or pass one context',
    })
  }
  if (names.length === 2 && names[0] === names[1]) {
    throw new UsageError(`--context "${spec}" uses the same context for both regions`, {
      hint: 'the secondary region needs its own cluster: pass two different contexts',
    })
  }
  const result: ContextAssignment[] = [{region: env.regions.primary, role: 'primary', context: names[0]}]
  if (secondary !== undefined) result.push({region: secondary, role: 'secondary', context: names[1]})
  return result
}
