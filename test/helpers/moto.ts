import {type ChildProcess, spawn} from 'node:child_process'
import {createServer} from 'node:net'

import {findOnPath} from './programs.js'

export {findOnPath}

/**
 * A real moto_server (the AWS API emulator) on 127.0.0.1 and a free port, for AWS provider tests.
 * Missing moto is an error, never a skip: a skipped AWS test proves nothing.
 */

export interface MotoServer {
  endpoint: string
  port: number
  /** Dummy credentials moto accepts; pass them to the SDK clients. */
  credentials: {accessKeyId: string; secretAccessKey: string}
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export async function startMoto(timeoutMs = 30_000): Promise<MotoServer> {
  const binary = findOnPath('moto_server')
  if (!binary) {
    throw new Error("moto_server is not on PATH: install it with `pip install 'moto[server]'` (the AWS provider tests need a real AWS API emulator)")
  }
  const port = await freePort()
  const child: ChildProcess = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], {
    // Without this moto knows no AWS managed policies and AttachRolePolicy fails with NoSuchEntity.
    env: {...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true'},
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + String(chunk)).slice(-4000)
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const endpoint = `http://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  let up = false
  while (!up) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}:\n${stderr}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms:\n${stderr}`)
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`)
      up = response.status < 500
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  return {
    endpoint,
    port,
    credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
