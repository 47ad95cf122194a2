import type {GitInfo} from '../audit/git-info.js'
import {UsageError, type ExternalError, type MygateError} from '../errors.js'

/**
 * The production deploy guard on the working tree a deploy comes from. Outside production it
 * never stops a deploy. In production (or a tier that cannot be read) a dirty tree is refused,
 * and so is a tree git could not read: "could not tell" is not "clean" (issue 9). `--allow-dirty`
 * bypasses both. A directory outside any repository is allowed (the deploy records no commit).
 */
export interface WorkingTreeCheck {
  /** "deploy to prod environment p1": the refused action, for the message. */
  action: string
  cwd: string
  production: boolean
  allowDirty: boolean
  /** The git state read; undefined when `cwd` is in no repository, or when reading failed. */
  git: GitInfo | undefined
  /** Why git could not be read (see readGitInfo). */
  gitError?: ExternalError
}

/** The error that stops the deploy, or undefined when it may go on. */
export function checkWorkingTree(check: WorkingTreeCheck): MygateError | undefined {
  if (!check.production || check.allowDirty) return undefined
  if (check.gitError) return check.gitError
  if (check.git?.dirty) {
    return new UsageError(`refusing to ${check.action} from a dirty git working tree (${check.cwd})`, {hint: 'commit or stash your changes, or pass --allow-dirty'})
  }
  return undefined
}
