import {closeSync, openSync, readFileSync, rmSync, writeSync} from 'node:fs'

import {ConflictError} from '../../errors.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Locks this process holds: its own pid in a lock file is then a live holder, not a stale one. */
const held = new Set<string>()

/**
 * Takes the state directory's lock by creating the lock file exclusively. A lock left by a
 * process that no longer exists is stale and taken over; a live holder is refused.
 */
export function acquireLock(lockFile: string, stateDir: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600)
      writeSync(fd, String(process.pid))
      closeSync(fd)
      held.add(lockFile)
      return () => {
        held.delete(lockFile)
        rmSync(lockFile, {force: true})
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number.parseInt(readFileSync(lockFile, 'utf8'), 10)
      const live = holder === process.pid ? held.has(lockFile) : Number.isFinite(holder) && alive(holder)
      if (live) {
        throw new ConflictError(`a local control plane (pid ${holder}) is already running on ${stateDir}`, {
          hint: 'use it (`mygate local status`), stop it with `mygate local stop`, or set MYGATE_HOME to another directory',
        })
      }
      rmSync(lockFile, {force: true})
    }
  }
  throw new ConflictError(`could not lock ${lockFile}`, {hint: 'another mygate process is starting the local control plane; retry'})
}

export {alive as processAlive}
