import {MAX_VOTING_MEMBERS, type MemberConfig, type MemberSpec} from './config.js'

/**
 * The next single reconfiguration from a current config toward the desired members, under
 * MongoDB's rule that a non-forced reconfig adds or removes at most one voting member
 * (https://www.mongodb.com/docs/manual/reference/method/rs.reconfig/, "at most one voting member"
 * since 4.4). Each step carries every change that does not touch the voters (priorities, tags,
 * non-voting members) plus one voter change: additions and promotions before removals and
 * demotions (redundancy grows before it shrinks) unless the set is at the 7-voter limit.
 * Returns undefined when the current config already is the desired one.
 *
 * templates/mongodb/ops/reconfigure.js carries the same algorithm in JavaScript (the function
 * `nextReconfigStep`); a unit test checks the two agree on a table of cases.
 */

export interface ReconfigStepConfig {
  members: MemberConfig[]
}

export type ReconfigStep = {config: ReconfigStepConfig; changes: string[]} | {error: string} | undefined

const desiredOf = (spec: MemberSpec) => ({
  host: spec.host,
  arbiterOnly: spec.arbiterOnly === true,
  hidden: spec.hidden === true,
  priority: spec.priority ?? (spec.arbiterOnly ? 0 : 1),
  votes: spec.votes ?? 1,
  secondaryDelaySecs: spec.secondaryDelaySecs ?? 0,
  tags: spec.tags ?? {},
})

const sameTags = (a: Record<string, string>, b: Record<string, string>): boolean => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort())

export function nextReconfigStep(current: ReconfigStepConfig, desiredSpecs: readonly MemberSpec[], primaryHost?: string): ReconfigStep {
  const desired = desiredSpecs.map(desiredOf)
  const key = (host: string) => host.toLowerCase()
  const wanted = new Map(desired.map((d) => [key(d.host), d]))
  const primary = primaryHost ? key(primaryHost) : undefined
  if (primary !== undefined) {
    const target = wanted.get(primary)
    if (!target || target.votes === 0 || target.priority === 0 || target.hidden || target.arbiterOnly) {
      return {error: `the desired config makes the current primary ${primaryHost} unelectable: move the primary first (step-down), then reconfigure`}
    }
  }
  for (const member of current.members) {
    const target = wanted.get(key(member.host))
    if (target && target.arbiterOnly !== member.arbiterOnly) return {error: `${member.host} cannot change arbiterOnly in place: remove it, then add it back`}
  }
  const members = current.members.map((m) => ({...m, tags: {...m.tags}}))
  const changes: string[] = []
  // 1. Everything that leaves the voters as they are.
  for (const member of members) {
    const target = wanted.get(key(member.host))
    if (!target || target.votes !== member.votes) continue
    const fields: Array<'priority' | 'hidden' | 'secondaryDelaySecs'> = ['priority', 'hidden', 'secondaryDelaySecs']
    for (const field of fields) {
      if (member[field] !== target[field]) {
        changes.push(`${member.host}: ${field} ${member[field]} -> ${target[field]}`)
        ;(member as Record<string, unknown>)[field] = target[field]
      }
    }
    if (!sameTags(member.tags, target.tags)) {
      changes.push(`${member.host}: tags`)
      member.tags = {...target.tags}
    }
  }
  const nonVoterRemovals = members.filter((m) => m.votes === 0 && !wanted.has(key(m.host)))
  for (const member of nonVoterRemovals) changes.push(`remove non-voting ${member.host}`)
  let next = members.filter((m) => !nonVoterRemovals.includes(m))
  let nextId = Math.max(-1, ...current.members.map((m) => m._id)) + 1
  const present = new Set(next.map((m) => key(m.host)))
  for (const target of desired) {
    if (present.has(key(target.host)) || target.votes !== 0) continue
    next.push({_id: nextId++, host: target.host, arbiterOnly: target.arbiterOnly, buildIndexes: true, hidden: target.hidden, priority: target.priority, tags: {...target.tags}, secondaryDelaySecs: target.secondaryDelaySecs, votes: 0})
    changes.push(`add non-voting ${target.host}`)
  }
  // 2. At most one voter change.
  const voters = next.filter((m) => m.votes > 0).length
  const grow = (): boolean => {
    for (const member of next) {
      const target = wanted.get(key(member.host))
      if (target && member.votes === 0 && target.votes === 1) {
        Object.assign(member, {votes: 1, priority: target.priority, hidden: target.hidden, secondaryDelaySecs: target.secondaryDelaySecs, tags: {...target.tags}})
        changes.push(`${member.host}: votes 0 -> 1`)
        return true
      }
    }
    for (const target of desired) {
      if (target.votes === 1 && !next.some((m) => key(m.host) === key(target.host))) {
        next.push({_id: nextId++, host: target.host, arbiterOnly: target.arbiterOnly, buildIndexes: true, hidden: target.hidden, priority: target.priority, tags: {...target.tags}, secondaryDelaySecs: target.secondaryDelaySecs, votes: 1})
        changes.push(`add voter ${target.host}`)
        return true
      }
    }
    return false
  }
  const shrink = (): boolean => {
    const removal = next.find((m) => m.votes > 0 && !wanted.has(key(m.host)))
    if (removal) {
      next = next.filter((m) => m !== removal)
      changes.push(`remove voter ${removal.host}`)
      return true
    }
    for (const member of next) {
      const target = wanted.get(key(member.host))
      if (target && member.votes === 1 && target.votes === 0) {
        Object.assign(member, {votes: 0, priority: 0, hidden: target.hidden, secondaryDelaySecs: target.secondaryDelaySecs, tags: {...target.tags}})
        changes.push(`${member.host}: votes 1 -> 0`)
        return true
      }
    }
    return false
  }
  if (voters >= MAX_VOTING_MEMBERS) {
    if (!shrink()) grow()
  } else if (!grow()) shrink()
  return changes.length === 0 ? undefined : {config: {members: next}, changes}
}
