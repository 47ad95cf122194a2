import {appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, test} from 'vitest'

import {replSetInitiate} from '../../../../src/local-cluster/data-plane/commands.js'
import {DataPlane} from '../../../../src/local-cluster/data-plane/data-plane.js'
import {newMember} from '../../../../src/local-cluster/data-plane/engine.js'
import {hashPassword} from '../../../../src/local-cluster/data-plane/jobs/session.js'
import {compactEntry, encodeLine} from '../../../../src/local-cluster/data-plane/persistence.js'
import {lastAppliedOf} from '../../../../src/local-cluster/data-plane/state.js'
import {BATCH_MARKER} from '../../../../src/local-cluster/data-plane/wal-batch.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/** A data plane on disk with a three-member set driven on synthetic time (no clusters attached). */
function populated(dir: string, seconds: number, writesPerSecond = 50) {
  let now = Date.UTC(2026, 11, 1)
  const dp = new DataPlane({stateDir: dir, autoTick: false, clock: () => now, resolveHost: (_set, host) => host.split(':')[0]})
  const engine = dp.engine
  for (const name of ['a', 'b', 'c']) {
    const member = newMember(name, {cluster: 'r1', namespace: 'ns', pod: name, podUid: name, claim: `data-${name}`}, 'billing-db', 27017, now)
    member.users = [hashPassword('root', 'pw', 'salt', 1000)]
    engine.members.set(name, member)
    engine.setUp(name, true, now)
  }
  const step = (ms: number) => {
    const end = now + ms
    while (now < end) {
      now += 100
      engine.tick(now)
    }
  }
  replSetInitiate({engine, now, clusterSetOf: () => 'env'}, engine.members.get('a')!, {_id: 'billing-db', members: ['a', 'b', 'c'].map((n, i) => ({_id: i, host: `${n}:27017`}))})
  const set = [...engine.sets.values()][0]
  set.writesPerSecond = writesPerSecond
  step(12_000)
  step(seconds * 1000)
  return {dp, set, step, now: () => now}
}

function fingerprint(dp: DataPlane) {
  const set = [...dp.engine.sets.values()][0]
  return {
    config: set.config,
    term: set.term,
    writeSeq: set.writeSeq,
    oplog: [set.oplog.start, set.oplog.end],
    last: set.oplog.end > 0 ? set.oplog.get(set.oplog.end - 1) : undefined,
    collections: set.data.stats(),
    users: set.users,
    rollbacks: set.rollbacks.length,
  }
}

describe('data plane persistence (snapshot + append log)', () => {
  test('everything flushed survives a crash (no close): sets, documents, oplog, users', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-dp-'))
    dirs.push(dir)
    const {dp} = populated(dir, 20)
    await dp.flush()
    const before = fingerprint(dp)
    expect(before.collections.reduce((n, c) => n + c.count, 0)).toBeGreaterThan(500)
    // kill -9: the first instance is abandoned without closing.
    const reopened = new DataPlane({stateDir: dir, autoTick: false, resolveHost: (_set, host) => host.split(':')[0]})
    expect(fingerprint(reopened)).toEqual(before)
    expect(reopened.warnings).toEqual([])
    // Members come back with their identity, data position and set; runtime state starts DOWN.
    const a = reopened.engine.members.get('a')!
    expect(a.setId).toBe([...reopened.engine.sets.keys()][0])
    // The primary that wrote the entries has all of them; nobody lost more than a tick of replication.
    const writer = reopened.engine.members.get(dp.engine.sets.values().next().value!.primary!)!
    expect(writer.applied).toBe(before.oplog[1])
    for (const member of reopened.engine.members.values()) expect(member.applied).toBeGreaterThanOrEqual(dp.engine.members.get(member.key)!.applied - 20)
    expect(a.up).toBe(false)
    expect(reopened.engine.sets.values().next().value?.primary).toBeUndefined()
    // Started again, the members find themselves in the config (not REMOVED) and elect a primary.
    let now = Date.now()
    for (const name of ['a', 'b', 'c']) reopened.engine.setUp(name, true, now)
    expect(['a', 'b', 'c'].map((n) => reopened.engine.members.get(n)!.state)).toEqual(['SECONDARY', 'SECONDARY', 'SECONDARY'])
    for (let i = 0; i < 150 && ![...reopened.engine.members.values()].some((m) => m.state === 'PRIMARY'); i++) reopened.engine.tick((now += 100))
    expect([...reopened.engine.members.values()].filter((m) => m.state === 'PRIMARY')).toHaveLength(1)
  })

  test('a compaction folds the log into a snapshot; later writes replay on top of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-dp-'))
    dirs.push(dir)
    const {dp, step} = populated(dir, 10)
    await dp.compact()
    expect(readdirSync(dir).sort()).toEqual(['snapshot.jsonl'])
    step(5_000)
    await dp.flush()
    const before = fingerprint(dp)
    const reopened = new DataPlane({stateDir: dir, autoTick: false, resolveHost: (_set, host) => host.split(':')[0]})
    expect(fingerprint(reopened)).toEqual(before)
    // The snapshot keeps each document once: an oplog insert that is the current document points at it.
    const set = [...reopened.engine.sets.values()][0]
    const inserted = set.oplog.get(set.oplog.end - 1)
    if (inserted.op === 'i') expect(inserted.doc).toBe(set.data.get(inserted.coll, inserted.id))
  })

  test('a torn record at the end of the log (a crash mid-write) is ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-dp-'))
    dirs.push(dir)
    const {dp} = populated(dir, 5)
    await dp.flush()
    const before = fingerprint(dp)
    const wal = readdirSync(dir).find((name) => name.startsWith('wal-'))!
    appendFileSync(join(dir, wal), '1234abcd\t{"k":"ops","set":"x","fr')
    const reopened = new DataPlane({stateDir: dir, autoTick: false, resolveHost: (_set, host) => host.split(':')[0]})
    expect(fingerprint(reopened)).toEqual(before)
    expect(reopened.warnings.join('\n')).toMatch(/ignored a torn record/)
  })

  test('oplog entries are logged as binary batches of their BSON; a torn batch at the end is ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-dp-'))
    dirs.push(dir)
    const {dp, step} = populated(dir, 5)
    await dp.flush()
    const before = fingerprint(dp)
    const wal = join(dir, readdirSync(dir).find((name) => name.startsWith('wal-'))!)
    const bytes = readFileSync(wal)
    // A document's bytes are in the log as they are (no base64): the last entry's BSON is found verbatim.
    const set = [...dp.engine.sets.values()][0]
    const last = set.oplog.get(set.oplog.end - 1)
    expect(bytes.includes(Buffer.from(last.doc!, 'latin1'))).toBe(true)
    expect(bytes.includes(BATCH_MARKER)).toBe(true)
    // More writes, then a crash in the middle of writing their batch: the replay stops before it.
    const size = statSync(wal).size
    step(2_000)
    await dp.flush()
    expect(statSync(wal).size).toBeGreaterThan(size + 100)
    const tornAt = bytes.length + 50
    truncateSync(wal, tornAt)
    expect(readFileSync(wal)[bytes.length]).toBe(BATCH_MARKER)
    const reopened = new DataPlane({stateDir: dir, autoTick: false, resolveHost: (_set, host) => host.split(':')[0]})
    expect(fingerprint(reopened)).toEqual(before)
    expect(reopened.warnings.join('\n')).toMatch(new RegExp(`ignored a torn record at byte ${bytes.length}\\b`))
  })

  test('a log of text ops records (written before binary batches) still replays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-dp-'))
    dirs.push(dir)
    const {dp} = populated(dir, 5)
    await dp.compact()
    const set = [...dp.engine.sets.values()][0]
    const before = fingerprint(dp)
    // The same entries as the previous version logged them, after a snapshot that lacks the last 20.
    const cut = set.oplog.end - 20
    const older = new DataPlane({stateDir: dir, autoTick: false, resolveHost: (_set, host) => host.split(':')[0]})
    expect(fingerprint(older)).toEqual(before)
    const entries = set.oplog.slice(cut).map(compactEntry)
    for (const name of readdirSync(dir)) if (name.startsWith('wal-')) rmSync(join(dir, name))
    const snapshot = readFileSync(join(dir, 'snapshot.jsonl'), 'utf8')
    const header = JSON.parse(snapshot.slice(snapshot.indexOf('\t') + 1, snapshot.indexOf('\n'))) as {walSeq: number}
    writeFileSync(join(dir, `wal-${header.walSeq}.log`), encodeLine({k: 'ops', set: set.id, from: cut, e: entries, seq: set.writeSeq, ts: set.lastTs}))
    const reopened = new DataPlane({stateDir: dir, autoTick: false, resolveHost: (_set, host) => host.split(':')[0]})
    // Entries the snapshot already has are skipped; the state is the same as before.
    expect(fingerprint(reopened)).toEqual(before)
    expect(reopened.warnings).toEqual([])
  })

  test('writes made while a compaction is being written go to the new log; the daemon keeps serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-dp-'))
    dirs.push(dir)
    // Enough documents for a snapshot of several chunks (a chunk is 1 MiB of lines).
    const {dp, step} = populated(dir, 3, 1000)
    let done = false
    const compaction = dp.compact().then(() => (done = true))
    // Turns of the event loop (each with writes) while the snapshot's temp file was being written:
    // none when a snapshot was written in one go.
    let turnsWhileWriting = 0
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve))
      if (readdirSync(dir).some((name) => name.startsWith('snapshot.jsonl.tmp-'))) turnsWhileWriting++
      step(100)
    }
    await compaction
    expect(turnsWhileWriting).toBeGreaterThan(1)
    await dp.flush()
    const before = fingerprint(dp)
    const reopened = new DataPlane({stateDir: dir, autoTick: false, resolveHost: (_set, host) => host.split(':')[0]})
    expect(fingerprint(reopened)).toEqual(before)
    expect(reopened.warnings).toEqual([])
  })

  test('a rollback (branch rebase, member tails, rollback data) persists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-dp-'))
    dirs.push(dir)
    const {dp, set, step, now} = populated(dir, 2)
    const engine = dp.engine
    const old = set.primary!
    const others = ['a', 'b', 'c'].filter((n) => n !== old)
    for (const name of others) engine.members.get(name)!.faultLagMs = 3000
    step(5_000)
    engine.setUp(old, false, now())
    for (const name of others) engine.members.get(name)!.faultLagMs = 0
    step(15_000)
    expect(engine.members.get(old)!.tail.length).toBeGreaterThan(0)
    await dp.flush()
    const withTail = new DataPlane({stateDir: dir, autoTick: false, resolveHost: (_set, host) => host.split(':')[0]})
    expect(withTail.engine.members.get(old)!.tail).toEqual(engine.members.get(old)!.tail)
    expect(fingerprint(withTail)).toEqual(fingerprint(dp))
    engine.setUp(old, true, now())
    step(3_000)
    expect(set.rollbacks).toHaveLength(1)
    await dp.flush()
    const after = new DataPlane({stateDir: dir, autoTick: false, resolveHost: (_set, host) => host.split(':')[0]})
    expect(after.engine.sets.values().next().value?.rollbacks).toEqual(set.rollbacks)
    expect(lastAppliedOf(after.engine.members.get(old)!, [...after.engine.sets.values()][0]).t).toBeGreaterThan(0)
  })
})
