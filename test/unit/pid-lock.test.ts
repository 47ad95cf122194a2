import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, test} from 'vitest'

import {ConflictError} from '../../src/errors.js'
import {acquirePidLock, lockHolderAlive, processAlive} from '../../src/pid-lock.js'

const ownStart = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[19]
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

describe('lock holders', () => {
  test.each([
    ['this process, same start time', `${process.pid} ${ownStart}`, true],
    ['this pid with another start time (a reused pid)', `${process.pid} 1`, false],
    ['a pid without a start time (older lock files)', `${process.pid}`, true],
    ['no such process', '2147483646 1', false],
    ['garbage', 'not-a-pid', false],
  ])('%s', (_, content, alive) => {
    expect(lockHolderAlive(content)).toBe(alive)
  })

  test('a killed process that is not yet reaped (a zombie) is not alive', async () => {
    // An orphan killed with SIGKILL waits for init to reap it: its pid still answers signals.
    const pid = Number(execFileSync('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], {encoding: 'utf8'}).trim())
    expect(processAlive(pid)).toBe(true)
    process.kill(pid, 'SIGKILL')
    // The signal lands when the process is next scheduled: wait for it to die (a loaded machine is slow).
    let state = ''
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 5))) {
      try {
        state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[0]
      } catch {
        state = 'gone'
      }
      if (state === 'Z' || state === 'gone') break
    }
    expect(['Z', 'gone']).toContain(state)
    expect(processAlive(pid)).toBe(false)
  })

  test('a lock left by a reused pid is taken over; a live holder is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-lock-'))
    dirs.push(dir)
    const lock = join(dir, 'x.lock')
    writeFileSync(lock, `${process.ppid} 1`)
    const release = acquirePidLock(lock, (holder) => new ConflictError(`held by ${holder}`))
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid} ${ownStart}`)
    expect(() => acquirePidLock(lock, (holder) => new ConflictError(`held by ${holder}`))).toThrow(`held by ${process.pid}`)
    release()
  })
})
