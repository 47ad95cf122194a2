import {readFileSync, unlinkSync, writeFileSync} from 'node:fs'

import type {MygateError} from './errors.js'

/**
 * A process's state and start time from /proc/PID/stat (Linux): the state letter (Z = zombie,
 * X = dead) and the start time in clock ticks since boot, which tells a reused pid from the
 * process that held it. Undefined where /proc is not available.
 */
function procStat(pid: number): {state: string; startTicks: string} | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return {state: fields[0], startTicks: fields[19]}
  } catch {
    return undefined
  }
}

/**
 * Whether a process with this pid exists and is running (EPERM: it exists but belongs to
 * someone else). A zombie, killed but not yet reaped by its parent, is not running: its pid
 * answers signals, but it holds nothing any more (a `kill -9`ed daemon stays a zombie until
 * init reaps it, seconds later).
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const state = procStat(pid)?.state
  return state !== 'Z' && state !== 'X'
}

/** This process's identity as lock files record it: `PID START_TICKS` (just `PID` without /proc). */
function ownIdentity(): string {
  const start = procStat(process.pid)?.startTicks
  return start ? `${process.pid} ${start}` : String(process.pid)
}

/**
 * Whether the holder a lock file names still runs: its pid runs, and, when the file recorded
 * the holder's start time, the process with that pid now started at the same time (otherwise
 * the pid was reused by another process after the holder died).
 */
export function lockHolderAlive(content: string): boolean {
  const [pidText, startTicks] = content.trim().split(/\s+/)
  const pid = Number.parseInt(pidText ?? '', 10)
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return false
  if (!startTicks) return true
  const current = procStat(pid)?.startTicks
  return current === undefined || current === startTicks
}

/** Lock files this process holds: its own pid in one of them is a live holder, not a stale one. */
const held = new Set<string>()

/**
 * Takes a lock file holding our pid (and start time), created exclusively. A lock left by a
 * process that no longer runs (exited, killed and not yet reaped, or whose pid now belongs to
 * another process) is stale and taken over; a live holder (another process, or this one through
 * another path) gets the error `busy(holderPid)` builds.
 */
export function acquirePidLock(lockPath: string, busy: (holderPid: number) => MygateError): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, ownIdentity(), {flag: 'wx', mode: 0o600})
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
      const content = readFileSync(lockPath, 'utf8')
      const holder = Number.parseInt(content.trim(), 10)
      const live = holder === process.pid ? held.has(lockPath) : lockHolderAlive(content)
      if (live) throw busy(holder)
      unlinkSync(lockPath)
    }
  }
  throw busy(Number.NaN)
}
