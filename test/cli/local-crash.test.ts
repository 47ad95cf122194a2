import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

interface Status {
  running: boolean
  started?: boolean
  pid?: number
  kubeconfig: string
}

/**
 * `mygate local start` after the daemon died without cleaning up: liveness is judged by the
 * daemon's control endpoint (and, for its lock, by the holder's identity), not by its pid,
 * which after `kill -9` can still answer signals (a zombie its new parent, init, reaps only
 * seconds later) or belong to another process.
 */
describe('mygate local start after a crash', () => {
  let local: LocalHome
  const status = async (): Promise<Status> => parseEnvelope<{result: Status}>((await local.cli(['local', 'status', '--json'])).stdout).result
  const start = async (): Promise<Status> => {
    const run = await local.cli(['local', 'start', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    return parseEnvelope<{result: Status}>(run.stdout).result
  }

  beforeAll(() => {
    local = createLocalHome()
  })
  afterAll(async () => {
    await local.cleanup()
  })

  test('right after kill -9 of the daemon, start brings up a new one with every object kept', async () => {
    const first = await start()
    expect(first.started).toBe(true)
    const kubeconfig = first.kubeconfig
    const applied = await runKubectl(['apply', '-f', '-'], {kubeconfig, input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: survivor, namespace: default}\ndata: {k: v}\n'})
    expect(applied.exitCode, applied.stderr).toBe(0)

    process.kill(first.pid!, 'SIGKILL')
    const second = await start()
    expect(second.started).toBe(true)
    expect(second.pid).not.toBe(first.pid)
    expect((await status()).pid).toBe(second.pid)
    const read = await runKubectl(['get', 'configmap', 'survivor', '-n', 'default', '-o', 'jsonpath={.data.k}'], {kubeconfig})
    expect(read.exitCode, read.stderr).toBe(0)
    expect(read.stdout).toBe('v')
  })

  test('a daemon whose pid now belongs to another process counts as dead', async () => {
    const running = await status()
    const stop = await local.cli(['local', 'stop'])
    expect(stop.exitCode, stop.stderr).toBe(0)
    // Another process now holds the pid the files name, and nothing listens on the control port.
    const stranger = spawn('sleep', ['60'], {stdio: 'ignore'})
    const port = await closedPort()
    const dir = join(local.home, 'local')
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({pid: stranger.pid, controlPort: port, token: 'old', startedAt: new Date(0).toISOString(), home: local.home}))
    // The lock names the same pid with the start time of the process that held it before.
    writeFileSync(join(dir, 'daemon.lock'), `${stranger.pid} 1`)
    try {
      expect((await status()).running).toBe(false)
      const restarted = await start()
      expect(restarted.started).toBe(true)
      expect(restarted.pid).not.toBe(stranger.pid)
      expect(restarted.pid).not.toBe(running.pid)
      expect(readFileSync(join(dir, 'daemon.lock'), 'utf8').split(' ')[0]).toBe(String(restarted.pid))
      expect(stranger.exitCode).toBeNull()
    } finally {
      stranger.kill()
    }
  })
})

/** A port nothing listens on: bound once, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}
