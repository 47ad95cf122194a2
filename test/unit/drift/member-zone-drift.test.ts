import {describe, expect, test} from 'vitest'

import {compareMemberZone} from '../../../src/drift/member-zone-drift.js'

const rec = (service: string, value = '10.0.0.1') => ({name: `${service}.mygate-data.svc.clusterset.local.`, type: 'A' as const, value})
const RESOURCE = 'private zone mygate-data.svc.clusterset.local'

describe('compareMemberZone: the member names\' zone against the topology', () => {
  test.each([
    ['in shape (targets are not compared: they live in the clusters)', ['db-r1-0', 'db-r2-0'], [rec('db-r1-0'), rec('db-r2-0', '10.9.9.9')], []],
    ['zone missing', ['db-r1-0'], undefined, [{region: 'r1', resource: RESOURCE, field: '(zone)', desired: 'present', live: 'missing'}]],
    ['a member without a record', ['db-r1-0', 'db-r2-0'], [rec('db-r1-0')], [{region: 'r1', resource: RESOURCE, field: 'record db-r2-0', desired: 'present', live: 'missing'}]],
    ['a record of no member', ['db-r1-0'], [rec('db-r1-0'), rec('db-r1-9', '10.0.0.9')], [{region: 'r1', resource: RESOURCE, field: 'record db-r1-9', desired: 'absent', live: 'A 10.0.0.9'}]],
  ] as const)('%s', (_what, expected, records, drift) => {
    expect(compareMemberZone('r1', [...expected], records ? [...records] : undefined)).toEqual(drift)
  })
})
