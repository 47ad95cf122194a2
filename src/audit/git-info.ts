/** The git state of a working tree, recorded with each deploy and checked by the prod guard. */
export interface GitInfo {
  commit: string
  branch: string
  dirty: boolean
}

/**
 * Reads commit, branch and dirtiness of the working tree at `cwd` with simple-git (imported
 * lazily: only deploys need it). Undefined when `cwd` is not inside a git repository or git is
 * missing: deploying from outside a repository is allowed, and recorded as such.
 */
export async function readGitInfo(cwd: string): Promise<GitInfo | undefined> {
  const {simpleGit} = await import('simple-git')
  const git = simpleGit({baseDir: cwd})
  try {
    if (!(await git.checkIsRepo())) return undefined
    const status = await git.status()
    let commit = '(no commits)'
    try {
      commit = (await git.revparse(['HEAD'])).trim()
    } catch {
      // A repository without commits yet.
    }
    return {commit, branch: status.current ?? '(detached)', dirty: !status.isClean()}
  } catch {
    return undefined
  }
}
