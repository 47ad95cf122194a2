import {describe, expect, test} from 'vitest'

import type {GitInfo} from '../../../src/audit/git-info.js'
import {ExternalError} from '../../../src/errors.js'
import {checkWorkingTree} from '../../../src/guards/working-tree.js'

const CLEAN: GitInfo = {commit: 'a'.repeat(40), branch: 'main', dirty: false}
const DIRTY: GitInfo = {...CLEAN, dirty: true}
const GIT_FAILED = new ExternalError('git could not read the working tree at /repo: index file smaller than expected', {hint: 'fix the repository, or pass --allow-dirty'})

describe('the production working-tree guard', () => {
  // [case, production, allowDirty, git, gitError, expected: undefined = go on, else the message]
  const cases: Array<[string, boolean, boolean, GitInfo | undefined, ExternalError | undefined, string | undefined]> = [
    ['clean tree, prod', true, false, CLEAN, undefined, undefined],
    ['outside any repository, prod: allowed, recorded without a commit', true, false, undefined, undefined, undefined],
    ['dirty tree, prod', true, false, DIRTY, undefined, 'refusing to deploy to prod environment p1 from a dirty git working tree (/repo)'],
    ['dirty tree, prod, --allow-dirty', true, true, DIRTY, undefined, undefined],
    ['git failed, prod: fails closed, naming git', true, false, undefined, GIT_FAILED, GIT_FAILED.message],
    ['git failed, prod, --allow-dirty', true, true, undefined, GIT_FAILED, undefined],
    ['dirty tree, not prod', false, false, DIRTY, undefined, undefined],
    ['git failed, not prod', false, false, undefined, GIT_FAILED, undefined],
  ]
  test.each(cases)('%s', (_name, production, allowDirty, git, gitError, expected) => {
    const refused = checkWorkingTree({action: 'deploy to prod environment p1', cwd: '/repo', production, allowDirty, git, gitError})
    expect(refused?.message).toBe(expected)
    if (refused) expect(refused.hint).toContain('--allow-dirty')
  })
})
