import {UsageError} from '../errors.js'

/**
 * The one confirmation rule for every command that can lose data or touch production (issue 9).
 * Pure: it decides from what the command knows and returns what to do; `confirmOperation`
 * (src/ui/confirm.ts) carries the decision out, asking in a terminal when told to.
 *
 *   - Production needs the environment's name: typed in a terminal, or `--confirm NAME` without
 *     one. `--yes` never stands in for it. Commands that have `--approve` (deploy) accept it as
 *     the production gate for CI, unless the operation is destructive.
 *   - An environment whose tier cannot be read is production: unknown means strictest, so a
 *     guard built on data that can be missing fails closed.
 *   - A destructive operation (one that deletes data: `env destroy`, and later restores, secret
 *     and backup deletions) outside production asks for the typed name in a terminal; `--yes`
 *     skips the question, and without a terminal `--yes` (or `--confirm NAME`) is required.
 *   - Other non-production work goes ahead without a question.
 *   - `--confirm NAME` that names another environment is always an error; `--confirm NAME` that
 *     matches is always enough (it is what the person would have typed).
 *   - Nobody is ever prompted without a terminal: the answer is then proceed or refuse.
 *
 * Later commands (failover, restore, secrets, flags, env sync) call `decideConfirmation` through
 * `confirmOperation` with their own `action`/`doing` phrases; they must not write their own rule.
 */

export interface ConfirmationRequest {
  /** The environment's name: what must be typed, or passed as `--confirm NAME`. */
  environment: string
  /** The environment's tier as recorded; undefined (or anything but dev/staging) is production. */
  tier: string | undefined
  /** The operation deletes data (`env destroy`, a restore over live data, a secret deletion). */
  destructive: boolean
  /** The action as an infinitive phrase, for the question: "destroy environment demo". */
  action: string
  /** The same as a gerund phrase, for refusals: "destroying environment demo". */
  doing: string
  /** Someone can be asked: a terminal on stdin and stderr, not CI, not --json. */
  terminal: boolean
  /** `--yes` was given. */
  yes: boolean
  /** `--confirm NAME`, when the command has the flag and it was given. */
  confirm?: string
  /**
   * `--approve`, for commands that have it (deploy): production approved without a terminal.
   * Undefined for commands without the flag; it is never enough for a destructive operation.
   */
  approve?: boolean
  /**
   * The operation loses what cannot be recreated (`env destroy --delete-backups`): the name must be
   * typed (or `--confirm NAME`) whatever the tier, as for production; `--yes` never stands in for it.
   * Says why, for the refusal: "it deletes the backups".
   */
  typedNameBecause?: string
}

export type ConfirmationDecision =
  /** Go ahead; `because` says what allowed it (for debugging and tests). */
  | {kind: 'proceed'; because: 'not production' | '--yes' | '--confirm' | '--approve'}
  /** Ask for `expected` to be typed, with `question`. */
  | {kind: 'ask'; question: string; expected: string}
  /** Stop: the error names the bad value or the missing flag. */
  | {kind: 'refuse'; error: UsageError}

const NON_PRODUCTION_TIERS: ReadonlySet<string> = new Set(['dev', 'staging'])

/** Production, or a tier that could not be read (fail closed). */
export function isProductionTier(tier: string | undefined): boolean {
  return tier === undefined || !NON_PRODUCTION_TIERS.has(tier)
}

/**
 * The tier to decide on from the record this machine holds (the spec cached in the kubeconfig)
 * and the live record (undefined when the cluster did not answer): whichever is known, and when
 * both are known and differ, the stricter.
 */
export function tierForGuard(cached: string | undefined, live: string | undefined): string | undefined {
  if (cached === undefined || live === undefined || cached === live) return cached ?? live
  if (isProductionTier(cached)) return cached
  if (isProductionTier(live)) return live
  return 'staging'
}

export function decideConfirmation(request: ConfirmationRequest): ConfirmationDecision {
  const {environment: name} = request
  if (request.confirm !== undefined) {
    if (request.confirm !== name) return refuse(`--confirm "${request.confirm}" does not match "${name}"`, `pass --confirm ${name}`)
    return {kind: 'proceed', because: '--confirm'}
  }
  const ask: ConfirmationDecision = {kind: 'ask', question: `Type "${name}" to ${request.action}:`, expected: name}
  if (isProductionTier(request.tier) || request.typedNameBecause !== undefined) {
    if (request.approve === true && !request.destructive) return {kind: 'proceed', because: '--approve'}
    if (request.terminal) return ask
    const hint = request.approve !== undefined && !request.destructive ? 'pass --approve (CI), or run it in a terminal' : `pass --yes --confirm ${name}`
    if (request.yes) return refuse(`--yes alone is not enough for ${request.doing}: ${request.typedNameBecause ?? why(request.tier)}`, hint)
    return refuse(`${request.doing} needs ${request.approve !== undefined ? 'approval' : 'confirmation'}, and there is no terminal to ask in`, hint)
  }
  if (!request.destructive) return {kind: 'proceed', because: 'not production'}
  if (request.yes) return {kind: 'proceed', because: '--yes'}
  if (request.terminal) return ask
  return refuse(`${request.doing} needs confirmation, and there is no terminal to ask in`, 'pass --yes')
}

/** What a typed answer means: the exact name (surrounding spaces forgiven) or a refusal. */
export function checkTypedAnswer(typed: string, expected: string): UsageError | undefined {
  const answer = typed.trim()
  if (answer === expected) return undefined
  return new UsageError(`confirmation "${answer}" does not match "${expected}"; nothing was changed`, {hint: 'run the command again and type the exact name'})
}

function why(tier: string | undefined): string {
  return tier === undefined ? 'its tier cannot be read, so it is treated as production' : `it is a ${tier}-tier environment`
}

function refuse(message: string, hint: string): ConfirmationDecision {
  return {kind: 'refuse', error: new UsageError(message, {hint})}
}
