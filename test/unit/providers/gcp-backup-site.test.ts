import {describe, expect, test} from 'vitest'

import {gcpBackupServiceAccountId} from '../../../src/backup/site/site-names.js'
import {type IamPolicy, withBinding} from '../../../src/providers/gcp/backup-site.js'

describe('withBinding: one member added to one role of an IAM policy', () => {
  const sa = 'serviceAccount:b@p.iam.gserviceaccount.com'
  test.each<[string, IamPolicy, IamPolicy, boolean]>([
    ['an empty policy gets the binding', {etag: 'E1'}, {etag: 'E1', bindings: [{role: 'roles/x', members: [sa]}]}, true],
    ['another role is left as it is', {etag: 'E1', bindings: [{role: 'roles/y', members: ['user:a@b']}]}, {etag: 'E1', bindings: [{role: 'roles/y', members: ['user:a@b']}, {role: 'roles/x', members: [sa]}]}, true],
    ['the role gains the member beside the others', {bindings: [{role: 'roles/x', members: ['user:a@b']}]}, {bindings: [{role: 'roles/x', members: ['user:a@b', sa]}]}, true],
    ['already there: unchanged (no write, the etag kept)', {etag: 'E2', bindings: [{role: 'roles/x', members: [sa]}]}, {etag: 'E2', bindings: [{role: 'roles/x', members: [sa]}]}, false],
  ])('%s', (_name, policy, expected, changed) => {
    const before = JSON.stringify(policy)
    expect(withBinding(policy, 'roles/x', sa)).toEqual({policy: expected, changed})
    expect(JSON.stringify(policy)).toBe(before)
  })
})

describe('gcpBackupServiceAccountId: 6-30 characters, stable', () => {
  test.each([
    ['prod', 'mygate-backup-prod'],
    ['a-very-long-environment-name', /^mygate-backup-a-very-lo-[0-9a-z]{1,6}$/],
  ])('%s', (env, expected) => {
    const id = gcpBackupServiceAccountId(env)
    expect(id.length).toBeLessThanOrEqual(30)
    if (typeof expected === 'string') expect(id).toBe(expected)
    else expect(id).toMatch(expected)
    expect(gcpBackupServiceAccountId(env)).toBe(id)
  })
})
