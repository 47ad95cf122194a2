import type {RolloutStrategy} from '../catalog/types.js'
import {UsageError} from '../errors.js'

/**
 * Validation of the deploy flags that shape a rollout, so bad input fails before anything in a
 * cluster changes. Every error names the flag and the offending value.
 */

/**
 * Parses `--steps "10,25,50"` into canary traffic weights (percent of traffic on the new version).
 *
 * Rules: whole numbers, each within 1..100, strictly increasing. A list that does not end at 100
 * gets 100 appended, because a canary that never reaches full traffic cannot be promoted with
 * confidence; the final 100 is where the last analysis runs before promotion.
 *
 *   "10,25,50"      -> [10, 25, 50, 100]
 *   "10, 50, 100"   -> [10, 50, 100]
 *   "10,5"          -> UsageError `--steps "10,5": steps must increase (5 after 10)`
 */
export function parseCanarySteps(text: string, flag = '--steps'): number[] {
  const parts = text.split(',').map((part) => part.trim())
  if (text.trim() === '' || parts.some((part) => part === '')) {
    throw new UsageError(`${flag} "${text}": expected comma-separated percentages`, {hint: 'e.g. --steps 10,25,50,100'})
  }
  const steps: number[] = []
  for (const part of parts) {
    if (!/^\d+$/.test(part)) {
      throw new UsageError(`${flag} "${text}": "${part}" is not a whole percentage`, {hint: 'e.g. --steps 10,25,50,100'})
    }
    const weight = Number(part)
    if (weight < 1 || weight > 100) {
      throw new UsageError(`${flag} "${text}": ${weight} is outside 1..100`, {hint: 'weights are percentages of traffic, e.g. --steps 10,25,50,100'})
    }
    const previous = steps.at(-1)
    if (previous !== undefined && weight <= previous) {
      throw new UsageError(`${flag} "${text}": steps must increase (${weight} after ${previous})`, {hint: 'e.g. --steps 10,25,50,100'})
    }
    steps.push(weight)
  }
  if (steps.at(-1) !== 100) steps.push(100)
  return steps
}

/** Docker's tag grammar: a word character first, then up to 127 of word, dot or dash. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/** Checks `--version` is usable as an image tag; returns it unchanged. */
export function validateImageTag(version: string, flag = '--version'): string {
  if (!TAG.test(version)) {
    throw new UsageError(`${flag} "${version}" is not a valid image tag`, {
      hint: 'a tag is 1-128 letters, digits, "_", "." or "-", not starting with "." or "-" (e.g. 1.3.0)',
    })
  }
  return version
}

export interface ImageRef {
  /** Registry host (with port), when the reference names one: "registry.mygate.dev", "localhost:5000". */
  registry?: string
  /** Repository path without registry: "mygate/visitors". */
  repository: string
  tag?: string
  /** "sha256:..." */
  digest?: string
  /** The reference as given, normalised by nothing: what goes into the pod spec. */
  ref: string
  /** What mygate records as the version: the tag, else the first 12 hex digits of the digest. */
  version: string
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/

/**
 * Parses `--image registry/repo:tag@digest`. A tag or a digest is required: a bare repository
 * would deploy whatever "latest" is at pull time, which no rollout can reason about.
 *
 *   "registry.mygate.dev/mygate/visitors:1.3.0" -> registry "registry.mygate.dev", repository
 *     "mygate/visitors", tag "1.3.0", version "1.3.0"
 *   "localhost:5000/visitors@sha256:<64 hex>"     -> registry "localhost:5000", digest, version = 12 hex
 */
export function parseImageRef(ref: string, flag = '--image'): ImageRef {
  const bad = (why: string, hint = 'e.g. registry.mygate.dev/mygate/visitors:1.3.0'): UsageError =>
    new UsageError(`${flag} "${ref}": ${why}`, {hint})
  let rest = ref.trim()
  if (rest === '') throw bad('is empty')

  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at !== -1) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) throw bad(`"${digest}" is not a digest`, 'a digest looks like sha256:<64 hex digits>')
  }

  // A colon after the last slash separates the tag; a colon before it belongs to a registry port.
  let tag: string | undefined
  const lastSlash = rest.lastIndexOf('/')
  const colon = rest.indexOf(':', lastSlash + 1)
  if (colon !== -1) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) throw bad(`"${tag}" is not a valid image tag`)
  }

  const components = rest.split('/')
  let registry: string | undefined
  // Docker's rule: the first component is a registry when it has a dot or a port, or is localhost.
  if (components.length > 1 && (/[.:]/.test(components[0]) || components[0] === 'localhost')) {
    registry = components.shift()
    if (!/^[A-Za-z0-9.-]+(?::\d+)?$/.test(registry ?? '')) throw bad(`"${registry}" is not a registry host`)
  }
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      throw bad(`"${component}" is not a valid repository name component (lower-case letters, digits, ".", "_", "-")`)
    }
  }
  if (tag === undefined && digest === undefined) {
    throw bad('needs a tag or a digest', `e.g. ${ref.trim()}:1.3.0`)
  }
  const version = tag ?? (digest as string).split(':')[1].slice(0, 12)
  return {registry, repository: components.join('/'), tag, digest, ref: ref.trim(), version}
}

export interface StrategyFlags {
  canary?: boolean
  blueGreen?: boolean
  rolling?: boolean
}

const FLAG_FOR: Record<RolloutStrategy, string> = {canary: '--canary', 'blue-green': '--blue-green', rolling: '--rolling'}

/**
 * The strategy the user asked for, or the service descriptor's default when none was given.
 * More than one strategy flag is a usage error naming the first two.
 */
export function chooseStrategy(flags: StrategyFlags, descriptorDefault: RolloutStrategy): RolloutStrategy {
  const chosen: RolloutStrategy[] = []
  if (flags.canary) chosen.push('canary')
  if (flags.blueGreen) chosen.push('blue-green')
  if (flags.rolling) chosen.push('rolling')
  if (chosen.length > 1) {
    throw new UsageError(`${FLAG_FOR[chosen[0]]} cannot be combined with ${FLAG_FOR[chosen[1]]}`, {
      hint: 'pick one of --canary, --blue-green, --rolling (or none for the service default)',
    })
  }
  return chosen[0] ?? descriptorDefault
}
