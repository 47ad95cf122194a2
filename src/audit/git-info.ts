import {ExternalError} from '../errors.js'

/** The git state of a working tree, recorded with each deploy and checked by the prod guard. */
export interface GitInfo {
  commit: string
  branch: string
  dirty: boolean
}

/**
 * git's own words when neither `cwd` nor any parent holds a repository. A translated git (LANG
 * set to another language) does not match, and its "no repository" then reads as a failure: the
 * guard fails closed, never open.
 */
const NO_REPOSITORY = /not a git repository \(or any (of the parent directories|parent up to mount point)/i

/**
 * Reads commit, branch and dirtiness of the working tree at `cwd` with simple-git (imported
 * lazily: only deploys need it). Undefined when `cwd` is not inside a git repository: deploying
 * from outside one is allowed, and recorded as such.
 *
 * Any other failure (git missing, a `.git` file pointing at a moved repository, a corrupt index,
 * a repository git refuses as owned by someone else) throws ExternalError naming git: the prod
 * guard must not read "could not tell" as "clean". simple-git's own checkIsRepo() answers false
 * for every "not a git repository" message, the broken `.git` file included, so the repository
 * check is done here from git's exit and message.
 */
export async function readGitInfo(cwd: string): Promise<GitInfo | undefined> {
  const {simpleGit} = await import('simple-git')
  const git = simpleGit({baseDir: cwd})
  try {
    await git.raw(['rev-parse', '--is-inside-work-tree'])
  } catch (error) {
    if (NO_REPOSITORY.test(messageOf(error))) return undefined
    throw gitFailed(cwd, error)
  }
  try {
    const status = await git.status()
    let commit = '(no commits)'
    try {
      commit = (await git.revparse(['HEAD'])).trim()
    } catch (error) {
      // A repository without commits yet has no HEAD; anything else is a failure.
      if (!/unknown revision|ambiguous argument 'HEAD'/i.test(messageOf(error))) throw error
    }
    return {commit, branch: status.current ?? '(detached)', dirty: !status.isClean()}
  } catch (error) {
    throw gitFailed(cwd, error)
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function gitFailed(cwd: string, error: unknown): ExternalError {
  const detail = messageOf(error).trim().split('\n')[0].replace(/^fatal: /, '')
  return new ExternalError(`git could not read the working tree at ${cwd}: ${detail}`, {
    hint: 'fix the repository (`git status` must work there), or pass --allow-dirty to deploy without checking it',
    cause: error,
  })
}
