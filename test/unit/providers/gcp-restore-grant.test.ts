import {describe, expect, test} from 'vitest'

import {type IamPolicy, withBinding} from '../../../src/providers/gcp/backup-site.js'
import {RESTORE_BUCKET_ROLE, withoutBinding} from '../../../src/providers/gcp/restore-grant.js'

/** The edits the gcp restore grant makes to OLD's bucket and key policies: add ours, remove only ours. */
const ours = 'serviceAccount:mygate-backup-new@p.iam.gserviceaccount.com'
const theirs = 'serviceAccount:mygate-backup-old@p.iam.gserviceaccount.com'
const role = RESTORE_BUCKET_ROLE

describe('withoutBinding: one member taken out of one role of an IAM policy', () => {
  test.each<[string, IamPolicy, IamPolicy, boolean]>([
    ['ours alone in the role: the binding goes, the etag of the read stays for the write', {etag: 'E7', bindings: [{role, members: [ours]}]}, {etag: 'E7', bindings: []}, true],
    ['another member of the role stays', {etag: 'E7', bindings: [{role, members: [theirs, ours]}]}, {etag: 'E7', bindings: [{role, members: [theirs]}]}, true],
    [
      'other roles stay, even with our member in them',
      {etag: 'E7', version: 1, bindings: [{role: 'roles/storage.objectAdmin', members: [theirs, ours]}, {role, members: [ours]}]},
      {etag: 'E7', version: 1, bindings: [{role: 'roles/storage.objectAdmin', members: [theirs, ours]}]},
      true,
    ],
    ['not there: unchanged (nothing to write)', {etag: 'E7', bindings: [{role, members: [theirs]}]}, {etag: 'E7', bindings: [{role, members: [theirs]}]}, false],
    ['an empty policy: unchanged', {etag: 'ACAB'}, {etag: 'ACAB'}, false],
  ])('%s', (_name, policy, expected, changed) => {
    const before = JSON.stringify(policy)
    expect(withoutBinding(policy, role, ours)).toEqual({policy: expected, changed})
    // The policy read is not mutated: a retry after a conflict starts from a fresh read.
    expect(JSON.stringify(policy)).toBe(before)
  })

  test('add then remove gives back the policy read, whatever else it holds', () => {
    const read: IamPolicy = {etag: 'E1', bindings: [{role, members: [theirs]}, {role: 'roles/x', members: ['user:a@b']}]}
    const granted = withBinding(read, role, ours)
    expect(granted.policy.bindings).toEqual([{role, members: [theirs, ours]}, {role: 'roles/x', members: ['user:a@b']}])
    expect(withoutBinding(granted.policy, role, ours).policy).toEqual(read)
  })
})
