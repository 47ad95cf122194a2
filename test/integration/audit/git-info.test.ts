import {execa} from 'execa'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {readGitInfo} from '../../../src/audit/git-info.js'
import {ExternalError} from '../../../src/errors.js'

/** readGitInfo against real git repositories in a temp directory (outside any repository). */
describe('readGitInfo', () => {
  let root: string
  const git = (cwd: string, ...args: string[]) => execa('git', ['-C', cwd, '-c', 'user.email=ci@example.com', '-c', 'user.name=CI', ...args])
  const repo = async (name: string) => {
    const dir = join(root, name)
    await execa('git', ['init', '-q', '-b', 'release', dir])
    return dir
  }

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mygate-git-info-'))
  })
  afterAll(() => rmSync(root, {recursive: true, force: true}))

  test('outside any repository: undefined (allowed, recorded as no commit)', async () => {
    const dir = join(root, 'plain')
    mkdirSync(dir)
    expect(await readGitInfo(dir)).toBeUndefined()
  })

  test('a clean repository: commit, branch, clean', async () => {
    const dir = await repo('clean')
    await git(dir, 'commit', '-q', '--allow-empty', '-m', 'first')
    const head = (await git(dir, 'rev-parse', 'HEAD')).stdout.trim()
    expect(await readGitInfo(dir)).toEqual({commit: head, branch: 'release', dirty: false})
  })

  test('an untracked file makes it dirty; a repository without commits still reads', async () => {
    const dir = await repo('fresh')
    writeFileSync(join(dir, 'work.txt'), 'in progress\n')
    expect(await readGitInfo(dir)).toEqual({commit: '(no commits)', branch: 'release', dirty: true})
  })

  test('a .git file pointing at a repository that moved: an error naming git, not "no repository"', async () => {
    const dir = join(root, 'moved-worktree')
    mkdirSync(dir)
    writeFileSync(join(dir, '.git'), `gitdir: ${join(root, 'gone', '.git', 'worktrees', 'x')}\n`)
    const read = readGitInfo(dir)
    await expect(read).rejects.toBeInstanceOf(ExternalError)
    await expect(read).rejects.toThrow(/^git could not read the working tree at .*moved-worktree: not a git repository: /)
    await expect(read).rejects.toMatchObject({exitCode: 4, hint: expect.stringContaining('--allow-dirty')})
  })

  test('a corrupt index: an error naming git, not "clean"', async () => {
    const dir = await repo('corrupt')
    writeFileSync(join(dir, 'tracked.txt'), 'x\n')
    await git(dir, 'add', 'tracked.txt')
    await git(dir, 'commit', '-q', '-m', 'first')
    writeFileSync(join(dir, '.git', 'index'), 'not an index')
    await expect(readGitInfo(dir)).rejects.toThrow(/^git could not read the working tree at .*corrupt: .*index/)
  })
})
