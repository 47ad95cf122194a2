import {accessSync, constants} from 'node:fs'
import {delimiter, join} from 'node:path'

/** The absolute path of an executable on PATH, or undefined. Tests that need one throw when it is missing. */
export function findOnPath(program: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, program)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

