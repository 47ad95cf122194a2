import {fileURLToPath} from 'node:url'
import {dirname, join, resolve} from 'node:path'
import {existsSync} from 'node:fs'

/**
 * The installed package's root (where services/, templates/ and manifests/ live), found from this
 * module's own location so it is the same from src/ (tsx, vitest) and dist/src/ (built CLI).
 */
function findPackageRoot(start: string): string {
  let dir = start
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'services'))) return dir
    const parent = dirname(dir)
    if (parent === dir) return resolve(start, '..')
    dir = parent
  }
}

export const packageRoot: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)))

export function packagePath(...segments: string[]): string {
  return join(packageRoot, ...segments)
}
