import {readFile} from 'node:fs/promises'

import {currentOperator} from '../audit/identity.js'
import {readGitInfo, type GitInfo} from '../audit/git-info.js'
import {connectEnvironment, type EnvironmentConnection} from '../env/connect.js'
import {ConflictError, NotFoundError, UsageError, oneOf} from '../errors.js'
import {appendFlagAudit, type FlagAction, type FlagAuditEntry, readFlagAudit} from './flag-audit.js'
import {currentSplit, fullyOn, turnedOff} from './flag-changes.js'
import {liveFlagDriver} from './flag-lock.js'
import {applyFlagEvent, isActive} from './flag-rollout-machine.js'
import {readFlagRollout, updateFlagRollout} from './flag-rollout-store.js'
import {assertValidFlagSet} from './flag-schema.js'
import {changeFlagSet, readFlagSet} from './flag-store.js'
import {type FlagDefinition, type FlagSet, type FlagState, servicesOf, type VariantValue} from './types.js'

/**
 * `mygate flags list|get|set|enable|disable|delete|kill|history`: each reads or changes the
 * environment's flag set in every region (flag-store.ts) and records an audit entry per changed
 * flag (flag-audit.ts). `enable` serves the on-variant to everyone, `disable` the off-variant
 * (both remove any split); `kill` is `disable` that also aborts a running rollout and is never
 * refused; the others are refused while the flag is rolling out.
 */

export interface FlagsOptions {
  env: string
  home?: string
  /** Working tree whose git commit is recorded with changes (default: the current directory). */
  cwd?: string
}

export interface FlagSummary {
  key: string
  state: FlagState
  defaultVariant: string | null
  /** The on-variant's share of an active split, when there is one. */
  splitPercent?: number
  variants: string[]
  services: string[]
  description?: string
}

export interface FlagListResult {
  environment: string
  regions: string[]
  flags: FlagSummary[]
}

export interface FlagGetResult {
  environment: string
  key: string
  flag: FlagDefinition
}

export interface FlagChangeResult {
  environment: string
  action: FlagAction
  regions: string[]
  changes: Array<{key: string; before?: FlagDefinition; after?: FlagDefinition}>
  /** A rollout stopped by `kill`. */
  abortedRollout?: string
}

export interface FlagHistoryResult {
  environment: string
  entries: FlagAuditEntry[]
}

async function withEnvironment<T>(options: FlagsOptions, run: (connection: EnvironmentConnection) => Promise<T>): Promise<T> {
  const connection = await connectEnvironment(options.env, {home: options.home})
  try {
    return await run(connection)
  } finally {
    connection.close()
  }
}

export function summarize(key: string, flag: FlagDefinition): FlagSummary {
  const split = currentSplit(flag)
  const description = flag.metadata?.description
  return {
    key,
    state: flag.state,
    defaultVariant: flag.defaultVariant ?? null,
    ...(split === undefined ? {} : {splitPercent: split}),
    variants: Object.keys(flag.variants),
    services: servicesOf(flag),
    ...(typeof description === 'string' ? {description} : {}),
  }
}

export function requireFlag(set: FlagSet, key: string, environment: string): FlagDefinition {
  const flag = set.flags[key]
  if (!flag) {
    throw new NotFoundError(`flag "${key}" not found in ${environment}`, {hint: `${oneOf(Object.keys(set.flags).sort())} (see \`mygate flags list --env ${environment}\`)`})
  }
  return flag
}

export async function listFlags(options: FlagsOptions): Promise<FlagListResult> {
  return withEnvironment(options, async (connection) => {
    const {set} = await readFlagSet(connection.primary)
    return {
      environment: options.env,
      regions: [...connection.clients.keys()],
      flags: Object.entries(set.flags)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, flag]) => summarize(key, flag)),
    }
  })
}

export async function getFlag(options: FlagsOptions & {key: string}): Promise<FlagGetResult> {
  return withEnvironment(options, async (connection) => {
    const {set} = await readFlagSet(connection.primary)
    return {environment: options.env, key: options.key, flag: requireFlag(set, options.key, options.env)}
  })
}

async function gitOf(cwd: string | undefined): Promise<GitInfo | undefined> {
  try {
    return await readGitInfo(cwd ?? process.cwd())
  } catch {
    // The audit records the commit when there is one; a broken repository does not block a flag change.
    return undefined
  }
}

/** Records one audit entry per changed flag in every region. */
export async function auditChanges(
  connection: EnvironmentConnection,
  environment: string,
  action: FlagAction,
  changes: FlagChangeResult['changes'],
  extra: {reason?: string; rolloutId?: string; cwd?: string} = {},
): Promise<void> {
  const who = currentOperator()
  const git = await gitOf(extra.cwd)
  const at = new Date().toISOString()
  const entries: FlagAuditEntry[] = changes.map((c) => ({
    at,
    flag: c.key,
    environment,
    action,
    user: who.user,
    host: who.host,
    ...(git ? {git} : {}),
    ...(c.before ? {before: c.before} : {}),
    ...(c.after ? {after: c.after} : {}),
    ...(extra.reason ? {reason: extra.reason} : {}),
    ...(extra.rolloutId ? {rolloutId: extra.rolloutId} : {}),
  }))
  for (const client of connection.clients.values()) await appendFlagAudit(client, entries)
}

/** Refuses a change to a flag that is rolling out: only `kill` and `flags rollout abort` may. */
async function refuseWhileRollingOut(connection: EnvironmentConnection, keys: string[], environment: string): Promise<void> {
  for (const key of keys) {
    const stored = await readFlagRollout(connection.primary, key)
    if (stored && isActive(stored.state)) {
      throw new ConflictError(`flag ${key} in ${environment} is rolling out (${stored.state.phase} at ${stored.state.appliedPercent ?? 0}%, started by ${stored.state.startedBy.user}@${stored.state.startedBy.host}); refusing to change it`, {
        hint: `wait for it, or stop it: \`mygate flags rollout abort ${key} --env ${environment}\` or \`mygate flags kill ${key} --env ${environment}\``,
      })
    }
  }
}

async function changeFlags(
  options: FlagsOptions,
  action: FlagAction,
  keys: string[],
  change: (set: FlagSet) => FlagSet,
  reason?: string,
): Promise<FlagChangeResult> {
  return withEnvironment(options, async (connection) => {
    await refuseWhileRollingOut(connection, keys, options.env)
    const {before, after} = await changeFlagSet(connection.clients, options.env, change)
    const changes = keys.map((key) => ({key, before: before.flags[key], after: after.flags[key]}))
    await auditChanges(connection, options.env, action, changes, {reason, cwd: options.cwd})
    return {environment: options.env, action, regions: [...connection.clients.keys()], changes}
  })
}

/** Turns a flag on for everyone (on-variant, no split). */
export function enableFlag(options: FlagsOptions & {key: string}): Promise<FlagChangeResult> {
  return changeFlags(options, 'enable', [options.key], (set) => {
    set.flags[options.key] = fullyOn(options.key, requireFlag(set, options.key, options.env))
    return set
  })
}

/** Turns a flag off for everyone (off-variant, no split). */
export function disableFlag(options: FlagsOptions & {key: string}): Promise<FlagChangeResult> {
  return changeFlags(options, 'disable', [options.key], (set) => {
    set.flags[options.key] = turnedOff(options.key, requireFlag(set, options.key, options.env))
    return set
  })
}

export function deleteFlag(options: FlagsOptions & {key: string}): Promise<FlagChangeResult> {
  return changeFlags(options, 'delete', [options.key], (set) => {
    requireFlag(set, options.key, options.env)
    delete set.flags[options.key]
    return set
  })
}

/**
 * Off now, whatever runs: aborts a rollout of the flag (its driver sees the request and stops)
 * and writes the flag off itself, so the flag is off even if no driver is alive; with no live
 * driver it also records the rollout as aborted. Takes no lock.
 */
export async function killFlag(options: FlagsOptions & {key: string; reason?: string}): Promise<FlagChangeResult> {
  return withEnvironment(options, async (connection) => {
    const who = currentOperator()
    const by = `${who.user}@${who.host} (flags kill)`
    const stored = await readFlagRollout(connection.primary, options.key)
    let abortedRollout: string | undefined
    if (stored && isActive(stored.state)) {
      await updateFlagRollout(connection.primary, options.key, (state) => (isActive(state) ? {...state, abortRequestedBy: by} : state))
      abortedRollout = stored.state.id
    }
    const {before, after} = await changeFlagSet(connection.clients, options.env, (set) => {
      set.flags[options.key] = turnedOff(options.key, requireFlag(set, options.key, options.env))
      return set
    })
    const changes = [{key: options.key, before: before.flags[options.key], after: after.flags[options.key]}]
    // No live driver to carry the abort out (its CLI was killed): the flag is off, so the rollout
    // has ended here, as its driver would have ended it, and a new one may start.
    if (stored && abortedRollout !== undefined && (await liveFlagDriver(connection.primary, options.key, stored.state.services)) === undefined) {
      await updateFlagRollout(connection.primary, options.key, (state) => (isActive(state) && state.id === abortedRollout ? applyFlagEvent(state, {type: 'turnedOff'}, Date.now()) : state))
    }
    await auditChanges(connection, options.env, 'kill', changes, {reason: options.reason ?? 'killed', cwd: options.cwd, rolloutId: abortedRollout})
    return {environment: options.env, action: 'kill', regions: [...connection.clients.keys()], changes, ...(abortedRollout ? {abortedRollout} : {})}
  })
}

export interface SetFlagOptions extends FlagsOptions {
  key?: string
  /** A flag set file (YAML or JSON, `{flags: {...}}`): its flags replace those of the same key. */
  file?: string
  state?: FlagState
  /** `name=value`; value true/false, a number, JSON, or a string. */
  variants?: string[]
  defaultVariant?: string
  services?: string
  description?: string
}

/** `on=true` -> ["on", true]; `tier={"a":1}` -> ["tier", {a: 1}]; `label=New` -> ["label", "New"]. */
export function parseVariant(text: string): [string, VariantValue] {
  const at = text.indexOf('=')
  if (at <= 0) throw new UsageError(`--variant "${text}" is not NAME=VALUE`, {hint: 'e.g. --variant on=true --variant off=false'})
  const name = text.slice(0, at)
  const raw = text.slice(at + 1)
  if (raw === 'true' || raw === 'false') return [name, raw === 'true']
  if (raw.trim() !== '' && !Number.isNaN(Number(raw))) return [name, Number(raw)]
  if (raw.startsWith('{') || raw.startsWith('[')) {
    try {
      return [name, JSON.parse(raw) as VariantValue]
    } catch {
      throw new UsageError(`--variant ${name}: ${raw} is not valid JSON`)
    }
  }
  return [name, raw]
}

async function readFlagFile(file: string): Promise<FlagSet> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read flag file ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`)
  }
  const {parse} = await import('yaml')
  let document: unknown
  try {
    document = parse(text)
  } catch (error) {
    throw new UsageError(`${file} is not YAML or JSON: ${(error as Error).message.split('\n')[0]}`)
  }
  assertValidFlagSet(document, file)
  return document
}

/** The flags `set` writes: a file's, or one built from flags over the existing definition. */
async function flagsToSet(options: SetFlagOptions, existing: FlagSet): Promise<Record<string, FlagDefinition>> {
  if (options.file) {
    const fromFile = await readFlagFile(options.file)
    if (options.key) return {[options.key]: requireFlag(fromFile, options.key, options.file)}
    return fromFile.flags
  }
  if (!options.key) throw new UsageError('flags set needs a flag name or --file', {hint: 'e.g. `mygate flags set upi-autopay --env demo --variant on=true --variant off=false --default-variant off --services billing`'})
  const base: FlagDefinition = existing.flags[options.key] ?? {state: 'ENABLED', variants: {}}
  const flag: FlagDefinition = structuredClone(base)
  if (options.variants?.length) flag.variants = Object.fromEntries(options.variants.map(parseVariant))
  if (options.state) flag.state = options.state
  if (options.defaultVariant !== undefined) flag.defaultVariant = options.defaultVariant
  if (options.services !== undefined || options.description !== undefined) {
    flag.metadata = {...flag.metadata, ...(options.services !== undefined ? {services: options.services} : {}), ...(options.description !== undefined ? {description: options.description} : {})}
  }
  if (Object.keys(flag.variants).length === 0) throw new UsageError(`flag ${options.key} has no variants`, {hint: 'add --variant on=true --variant off=false'})
  return {[options.key]: flag}
}

export async function setFlags(options: SetFlagOptions): Promise<FlagChangeResult> {
  return withEnvironment(options, async (connection) => {
    const wanted = await flagsToSet(options, (await readFlagSet(connection.primary)).set)
    const keys = Object.keys(wanted)
    await refuseWhileRollingOut(connection, keys, options.env)
    const {before, after} = await changeFlagSet(connection.clients, options.env, (set) => ({...set, flags: {...set.flags, ...wanted}}))
    const changes = keys.map((key) => ({key, before: before.flags[key], after: after.flags[key]}))
    await auditChanges(connection, options.env, 'set', changes, {cwd: options.cwd})
    return {environment: options.env, action: 'set', regions: [...connection.clients.keys()], changes}
  })
}

export async function flagHistory(options: FlagsOptions & {key?: string; limit?: number}): Promise<FlagHistoryResult> {
  return withEnvironment(options, async (connection) => {
    const entries = (await readFlagAudit(connection.primary)).filter((e) => options.key === undefined || e.flag === options.key)
    return {environment: options.env, entries: entries.slice(-(options.limit ?? 50))}
  })
}
