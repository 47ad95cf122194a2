import {readFileSync, unlinkSync, writeFileSync} from 'node:fs'

import type {MygateError} from './errors.js'

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Lock files this process holds: its own pid in one of them is a live holder, not a stale one. */
const held = new Set<string>()

/**
 * Takes a lock file holding our pid, created exclusively. A lock left by a process that no
 * longer exists is stale and taken over; a live holder (another process, or this one through
 * another path) gets the error `busy(holderPid)` builds.
 */
export function acquirePidLock(lockPath: string, busy: (holderPid: number) => MygateError): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), {flag: 'wx', mode: 0o600})
      held.add(lockPath)
      return () => {
        held.delete(lockPath)
        try {
          unlinkSync(lockPath)
        } catch {
          // Already gone: nothing to release.
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8').trim(), 10)
      const live = holder === process.pid ? held.has(lockPath) : Number.isInteger(holder) && holder > 0 && processAlive(holder)
      if (live) throw busy(holder)
      unlinkSync(lockPath)
    }
  }
  throw busy(Number.NaN)
}
