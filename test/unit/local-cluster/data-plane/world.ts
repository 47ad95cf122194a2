import type {CommandContext} from '../../../../src/local-cluster/data-plane/commands.js'
import {replSetInitiate} from '../../../../src/local-cluster/data-plane/commands.js'
import type {MemberSpec} from '../../../../src/local-cluster/data-plane/config.js'
import {DataPlaneEngine, type EngineTiming, newMember} from '../../../../src/local-cluster/data-plane/engine.js'
import {hashPassword} from '../../../../src/local-cluster/data-plane/jobs/session.js'
import type {LogLine} from '../../../../src/local-cluster/data-plane/mongod-log.js'
import type {Member, ReplicaSet} from '../../../../src/local-cluster/data-plane/state.js'

/**
 * A data-plane engine on synthetic time: members named like hosts (`a`, `b`...), a resolver that
 * maps `NAME:27017` to the member, and helpers to move time forward tick by tick.
 */
export interface World {
  engine: DataPlaneEngine
  now: number
  logs: Array<{member: string; line: LogLine; at: number}>
  ctx(): CommandContext
  member(name: string): Member
  add(name: string, options?: {cluster?: string; auth?: boolean}): Member
  up(name: string): void
  down(name: string): void
  initiate(names: string[], specs?: Partial<MemberSpec>[], settings?: Record<string, number>): ReplicaSet
  set(): ReplicaSet
  /** Moves time forward by `ms`, ticking every `step` ms. */
  advance(ms: number, step?: number): void
  /** Advances until `check` holds (or throws after `maxMs`); returns the elapsed ms. */
  until(check: () => boolean, maxMs: number, step?: number): number
  primary(): string | undefined
  states(): Record<string, string>
}

export const host = (name: string): string => `${name}:27017`

export function world(timing: Partial<EngineTiming> = {}, start = Date.UTC(2026, 11, 1, 10, 0, 0)): World {
  const logs: World['logs'] = []
  const engine: DataPlaneEngine = new DataPlaneEngine(
    {
      log: (member, line, at) => logs.push({member, line, at}),
      resolveHost: (_set, hostPort): string | undefined => {
        const key = hostPort.split(':')[0]
        return engine.members.has(key) ? key : undefined
      },
    },
    {timeScale: 1, defaultReplicationLagMs: 250, initialSyncMs: 1000, rollbackMs: 500, ...timing},
  )
  const w: World = {
    engine,
    now: start,
    logs,
    ctx: () => ({engine, now: w.now, clusterSetOf: () => 'env'}),
    member(name) {
      const member = engine.members.get(name)
      if (!member) throw new Error(`no member ${name}`)
      return member
    },
    add(name, options = {}) {
      const member = newMember(name, {cluster: options.cluster ?? 'r1', namespace: 'mygate-data', pod: name, podUid: `uid-${name}`, claim: `data-${name}`}, 'rs', 27017, w.now)
      member.users = [hashPassword('root', 'pw', 'salt', 1000)]
      member.auth = options.auth ?? true
      engine.members.set(name, member)
      engine.setUp(name, true, w.now)
      return member
    },
    up: (name) => engine.setUp(name, true, w.now),
    down: (name) => {
      engine.tick(w.now)
      engine.setUp(name, false, w.now)
    },
    initiate(names, specs = [], settings) {
      replSetInitiate(w.ctx(), w.member(names[0]), {_id: 'rs', members: names.map((n, i) => ({_id: i, host: host(n), ...specs[i]})), ...(settings ? {settings} : {})})
      return w.set()
    },
    set() {
      const set = [...engine.sets.values()][0]
      if (!set) throw new Error('no replica set')
      return set
    },
    advance(ms, step = 100) {
      const end = w.now + ms
      while (w.now < end) {
        w.now = Math.min(end, w.now + step)
        engine.tick(w.now)
      }
    },
    until(check, maxMs, step = 100) {
      const start = w.now
      while (!check()) {
        if (w.now - start > maxMs) throw new Error(`condition not met within ${maxMs} ms; states ${JSON.stringify(w.states())}`)
        w.now += step
        engine.tick(w.now)
      }
      return w.now - start
    },
    primary() {
      const set = [...engine.sets.values()][0]
      const primary = set ? engine.primaryOf(set) : undefined
      return primary?.key
    },
    states() {
      return Object.fromEntries([...engine.members.values()].map((m) => [m.key, m.up ? m.state : 'DOWN']))
    },
  }
  return w
}

/** A three-member set with a primary elected, writing `writesPerSecond`. */
export function threeMemberSet(options: {writesPerSecond?: number; specs?: Partial<MemberSpec>[]} = {}): World {
  const w = world()
  for (const name of ['a', 'b', 'c']) w.add(name)
  const set = w.initiate(['a', 'b', 'c'], options.specs)
  set.writesPerSecond = options.writesPerSecond ?? 0
  w.until(() => w.primary() !== undefined, 15_000)
  return w
}
