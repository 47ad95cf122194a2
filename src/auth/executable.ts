import {accessSync, constants, realpathSync} from 'node:fs'
import {basename} from 'node:path'

import {packagePath} from '../package-root.js'

/**
 * The command a kubeconfig `exec` user should run to reach this mygate: the absolute path of the
 * running CLI when it is this package's bin (or an installed `mygate` link), so the kubeconfig
 * works without mygate on PATH; plain `mygate` otherwise (e.g. when called from a test runner).
 */
export function mygateExecutable(argv: readonly string[] = process.argv): string {
  const script = argv[1]
  if (!script) return 'mygate'
  let resolved: string
  try {
    resolved = realpathSync(script)
  } catch {
    return 'mygate'
  }
  let ownBin: string | undefined
  try {
    ownBin = realpathSync(packagePath('bin', 'run.js'))
  } catch {
    ownBin = undefined
  }
  const isMygate = resolved === ownBin || basename(script) === 'mygate'
  if (!isMygate) return 'mygate'
  try {
    // kubectl runs the command directly, so it must be executable (bin/run.js has a shebang).
    accessSync(resolved, constants.X_OK)
    return resolved
  } catch {
    return 'mygate'
  }
}
