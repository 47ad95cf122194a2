import {describe, expect, test} from 'vitest'

import {retargetUri, replicaSetOfUri} from '../../../src/backup/restore/connection-switch.js'
import {proofFailure, proveRestore} from '../../../src/backup/restore/prove.js'
import {chooseRestoreSource} from '../../../src/backup/restore/restore-source.js'
import {testBackup, testSlice} from './catalog-builders.js'

const b1 = testBackup({last: '1000:0'})
const b2 = testBackup({last: '2000:3'})
const now = new Date(3000 * 1000)

describe('what a restore restores from', () => {
  test.each<[string, {id?: string; toTime?: string}, string, string | undefined]>([
    ['a named backup', {id: 'b-1000'}, 'b-1000', undefined],
    ['the newest when nothing is named', {}, 'b-2000', undefined],
    ['an oplog timestamp at the newest consistent point', {toTime: '2000:3'}, 'b-2000', '2000:4'],
    ['a time in the newest consistent second', {toTime: new Date(2000 * 1000).toISOString()}, 'b-2000', '2001:0'],
    ['a point covered by a slice chain from the older backup', {toTime: '1500:0'}, 'b-1000', '1500:1'],
  ])('%s', (_what, ask, id, limit) => {
    const source = chooseRestoreSource({service: 'visitors', backups: [b1, b2], slices: [testSlice('1000:0', '1600:0')], now, ...ask})
    expect(source.base.id).toBe(id)
    expect(source.oplogLimit).toBe(limit)
  })

  test.each<[string, {id?: string; toTime?: string}, RegExp]>([
    ['an unknown id', {id: 'nope'}, /^backup nope of visitors does not exist$/],
    ['a time in the future', {toTime: '1970-01-01T01:00:00Z'}, /^--to-time 1970-01-01T01:00:00Z is in the future \(now is 1970-01-01T00:50:00.000Z\); the restorable window of visitors is 1970-01-01T00:16:40.000Z \(1000:0\) to/],
    ['a time before the oldest backup', {toTime: '999:0'}, /^999:0 is outside the restorable window: 1970-01-01T00:16:40.000Z \(1000:0\) to .*\(1600:0\), .*\(2000:3\) to .*\(2000:3\)$/],
    ['a time in a gap', {toTime: '1800:0'}, /is outside the restorable window/],
    ['a malformed oplog timestamp', {toTime: '17:x'}, /^--to-time "17:x" is neither an RFC 3339 time nor an oplog timestamp$/],
    ['an id and a time', {id: 'b-1000', toTime: '1000:0'}, /^give a backup id or --to-time, not both/],
  ])('%s is refused with one line', (_what, ask, message) => {
    expect(() => chooseRestoreSource({service: 'visitors', backups: [b1, b2], slices: [testSlice('1000:0', '1600:0')], now, ...ask})).toThrow(message)
  })

  test('no backups at all: not found, with the command that makes one', () => {
    expect(() => chooseRestoreSource({service: 'visitors', backups: [], slices: [], now})).toThrow(expect.objectContaining({message: 'visitors has no backups to restore', hint: 'take one with `mygate backup create --service visitors`'}))
  })
})

describe('switching the connection string', () => {
  const live = 'mongodb://root:p%40ss@visitors-db-0.visitors-db.mygate-data.svc.cluster.local:27017/visitors?replicaSet=visitors-db&authSource=admin'

  test('names the restored set, its members and its credentials; keeps the database and options', () => {
    const switched = retargetUri(live, {set: 'visitors-db-rk3x9', hosts: ['visitors-db-rk3x9-0.visitors-db-rk3x9.mygate-data.svc.cluster.local:27017'], username: 'r', password: 'q/1'}, 'the uri')
    expect(switched).toBe('mongodb://r:q%2F1@visitors-db-rk3x9-0.visitors-db-rk3x9.mygate-data.svc.cluster.local:27017/visitors?replicaSet=visitors-db-rk3x9&authSource=admin')
    expect(replicaSetOfUri(switched, 'x')).toBe('visitors-db-rk3x9')
    expect(replicaSetOfUri(live, 'x')).toBe('visitors-db')
  })

  test('a value that is not a connection string is refused without repeating it', () => {
    expect(() => retargetUri('postgres://u:secret@h/db', {set: 's', hosts: ['h:1'], username: 'u', password: 'p'}, 'Secret mygate/visitors-db-credentials key uri')).toThrow(/^Secret mygate\/visitors-db-credentials key uri is not a mongodb:\/\/ connection string$/)
  })
})

describe('proving a restored set', () => {
  const expected = {'visitors.gateEntries': {documents: 3, sha256Sum: 'a'.repeat(64)}, 'visitors.passes': {documents: 1, sha256Sum: 'b'.repeat(64)}}

  test.each<[string, Record<string, {documents: number; sha256Sum: string}>, boolean, string[]]>([
    ['equal counts and hashes', {...expected}, true, []],
    ['a missing document', {...expected, 'visitors.gateEntries': {documents: 2, sha256Sum: 'c'.repeat(64)}}, false, [`visitors.gateEntries: expected 3 documents, sha256 aaaaaaaaaaaa, found 2 documents, sha256 cccccccccccc`]],
    ['same count, other content', {...expected, 'visitors.passes': {documents: 1, sha256Sum: 'd'.repeat(64)}}, false, ['visitors.passes: expected 1 documents, sha256 bbbbbbbbbbbb, found 1 documents, sha256 dddddddddddd']],
    ['a missing collection', {'visitors.gateEntries': expected['visitors.gateEntries']}, false, ['visitors.passes: expected 1 documents, sha256 bbbbbbbbbbbb, found missing']],
  ])('%s', (_what, measured, ok, mismatches) => {
    const verdict = proveRestore(expected, measured)
    expect(verdict.ok).toBe(ok)
    expect(verdict.mismatches).toEqual(mismatches)
    if (!ok) expect(proofFailure(verdict, 'b1', 'visitors-db-rk3x9', 'visitors-db').message).toBe(`the restore of backup b1 into visitors-db-rk3x9 does not match the backup: ${mismatches[0]}; visitors-db was not touched`)
  })
})
