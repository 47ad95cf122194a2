import {describe, expect, test} from 'vitest'

import {quotaShortfall} from '../../../src/backup/restore/quota-preflight.js'

describe('room for a restored set in the namespace quota', () => {
  test.each<[string, Record<string, string>, Record<string, string>, number, string | undefined]>([
    ['claims all used', {persistentvolumeclaims: '10'}, {persistentvolumeclaims: '10'}, 1, 'mygate-data has room for 0 more PersistentVolumeClaims (quota q: 10 of 10 used); the restored set needs 1'],
    ['one claim left, one member', {persistentvolumeclaims: '10'}, {persistentvolumeclaims: '9'}, 1, undefined],
    ['one claim left, three members', {persistentvolumeclaims: '10'}, {persistentvolumeclaims: '9'}, 3, 'mygate-data has room for 1 more PersistentVolumeClaims (quota q: 9 of 10 used); the restored set needs 3'],
    ['pods short', {pods: '40', persistentvolumeclaims: '20'}, {pods: '40', persistentvolumeclaims: '1'}, 1, 'mygate-data has room for 0 more pods (quota q: 40 of 40 used); the restored set needs 1'],
    ['no count limits', {'requests.cpu': '4'}, {'requests.cpu': '4'}, 3, undefined],
  ])('%s', (_what, hard, used, members, message) => {
    expect(quotaShortfall([{name: 'q', hard, used}], members)).toBe(message)
  })

  test('no quota at all leaves room', () => {
    expect(quotaShortfall([], 3)).toBeUndefined()
  })
})
