import {spawn} from 'node:child_process'
import {openSync, closeSync} from 'node:fs'
import {mkdir, readFile} from 'node:fs/promises'
import http from 'node:http'

import {ExternalError, NotFoundError, TimeoutError} from '../errors.js'
import {packagePath} from '../package-root.js'
import {processAlive} from '../pid-lock.js'
import {localPaths} from '../local-cluster/daemon/paths.js'
import type {ApiFaultSettings, ClusterInfo, DaemonInfo, DaemonStatus} from '../local-cluster/daemon/protocol.js'
import type {LocalDnsAnswer, LocalDnsRecordSet} from '../local-cluster/dns/record-set.js'

/** The CLI's side of the local control plane: find, start, stop and steer the daemon. */

/** How long a liveness probe of the control endpoint may take before the daemon counts as busy, not dead. */
const PROBE_TIMEOUT_MS = 3000

/**
 * The running daemon's info, or undefined when none runs. Liveness is decided by the daemon's
 * control endpoint, not by its pid alone: after a `kill -9` the pid can still answer signals (a
 * zombie not yet reaped) or belong to another process (reused), while the endpoint is gone. A
 * refused or reset connection, a token that is not accepted, or another pid answering means
 * the daemon is dead; a slow answer means it is alive but busy.
 */
export async function readDaemonInfo(home: string): Promise<DaemonInfo | undefined> {
  let info: DaemonInfo
  try {
    info = JSON.parse(await readFile(localPaths(home).daemonFile, 'utf8')) as DaemonInfo
  } catch (error) {
    // No daemon file (never started, or stopped cleanly), or a torn one from a crash.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return undefined
    throw error
  }
  if (!processAlive(info.pid)) return undefined
  return (await probeControlEndpoint(info)) === 'dead' ? undefined : info
}

function probeControlEndpoint(info: DaemonInfo): Promise<'alive' | 'dead' | 'busy'> {
  return new Promise((resolve) => {
    const req = http.request({host: '127.0.0.1', port: info.controlPort, method: 'GET', path: '/status', headers: {'x-mygate-token': info.token}}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve('dead')
        try {
          resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as {pid?: number}).pid === info.pid ? 'alive' : 'dead')
        } catch {
          resolve('dead')
        }
      })
      res.on('error', () => resolve('dead'))
    })
    req.setTimeout(PROBE_TIMEOUT_MS, () => {
      resolve('busy')
      req.destroy()
    })
    req.on('error', () => resolve('dead'))
    req.end()
  })
}

async function call<T>(info: DaemonInfo, method: string, path: string, body?: unknown): Promise<T> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise<T>((resolve, reject) => {
    const req = http.request(
      {host: '127.0.0.1', port: info.controlPort, method, path, headers: {'x-mygate-token': info.token, 'Content-Type': 'application/json'}},
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const parsed = text ? JSON.parse(text) : {}
          if ((res.statusCode ?? 500) >= 400) {
            const message = (parsed as {message?: string}).message ?? `HTTP ${res.statusCode}`
            reject(res.statusCode === 404 ? new NotFoundError(message, {hint: 'see `mygate local status`'}) : new ExternalError(`local control plane: ${message}`))
          } else resolve(parsed as T)
        })
      },
    )
    req.setTimeout(30_000, () => req.destroy(new Error('control API timed out')))
    req.on('error', (error) =>
      reject(new ExternalError(`cannot reach the local control plane: ${error.message}`, {hint: 'restart it with `mygate local stop && mygate local start`'})),
    )
    if (payload) req.write(payload)
    req.end()
  })
}

export interface StartResult {
  started: boolean
  info: DaemonInfo
}

/** The compiled daemon entry; the daemon always runs from dist/ (built by `npm run build`). */
function daemonEntry(): string {
  return packagePath('dist', 'src', 'local-cluster', 'daemon', 'main.js')
}

/** Starts the daemon detached unless one is running already (idempotent). */
export async function ensureDaemon(home: string, options: {timeoutMs?: number} = {}): Promise<StartResult> {
  const running = await readDaemonInfo(home)
  if (running) return {started: false, info: running}
  const paths = localPaths(home)
  await mkdir(paths.dir, {recursive: true})
  const logFd = openSync(paths.logFile, 'a')
  const child = spawn(process.execPath, [daemonEntry()], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: {...process.env, MYGATE_HOME: home},
  })
  closeSync(logFd)
  let exited: number | null = null
  child.once('exit', (code) => (exited = code ?? 1))
  child.unref()
  const deadline = Date.now() + (options.timeoutMs ?? 15_000)
  while (Date.now() < deadline) {
    const info = await readDaemonInfo(home)
    if (info && info.pid === child.pid) return {started: true, info}
    if (exited !== null) {
      const log = await readFile(paths.logFile, 'utf8').catch(() => '')
      const last = log.trim().split('\n').at(-1) ?? ''
      throw new ExternalError(`the local control plane exited during start-up: ${last}`, {hint: `see ${paths.logFile}`})
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new TimeoutError(`the local control plane did not start within ${(options.timeoutMs ?? 15_000) / 1000}s`, {hint: `see ${paths.logFile}`})
}

export async function daemonStatus(home: string): Promise<DaemonStatus | undefined> {
  const info = await readDaemonInfo(home)
  return info ? call<DaemonStatus>(info, 'GET', '/status') : undefined
}

/** Stops the daemon and waits until its process is gone. Returns false when none was running. */
export async function stopDaemon(home: string, options: {timeoutMs?: number} = {}): Promise<boolean> {
  const info = await readDaemonInfo(home)
  if (!info) return false
  await call(info, 'POST', '/shutdown').catch(() => process.kill(info.pid, 'SIGTERM'))
  const deadline = Date.now() + (options.timeoutMs ?? 15_000)
  while (Date.now() < deadline) {
    if (!processAlive(info.pid)) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new TimeoutError(`the local control plane (pid ${info.pid}) did not stop in time`, {hint: `kill ${info.pid}`})
}

async function requireDaemon(home: string): Promise<DaemonInfo> {
  const info = await readDaemonInfo(home)
  if (!info) throw new NotFoundError('the local control plane is not running', {hint: 'start it with `mygate local start`'})
  return info
}

/**
 * @param clusterSet the environment the cluster belongs to (its region clusters reach each other).
 * @param podCidr the cluster's Pod range (a /16; the daemon refuses to change an existing cluster's).
 */
export async function ensureCluster(home: string, name: string, region: string, clusterSet?: string, podCidr?: string): Promise<ClusterInfo> {
  return call<ClusterInfo>(await requireDaemon(home), 'PUT', `/clusters/${encodeURIComponent(name)}`, {region, ...(clusterSet ? {clusterSet} : {}), ...(podCidr ? {podCidr} : {})})
}

export async function deleteCluster(home: string, name: string): Promise<boolean> {
  const info = await readDaemonInfo(home)
  if (!info) return false
  try {
    await call(info, 'DELETE', `/clusters/${encodeURIComponent(name)}`)
    return true
  } catch (error) {
    if (error instanceof NotFoundError) return false
    throw error
  }
}

export async function setClusterDown(home: string, name: string, down: boolean): Promise<ClusterInfo> {
  return call<ClusterInfo>(await requireDaemon(home), 'PUT', `/clusters/${encodeURIComponent(name)}/down`, {down})
}

export async function setApiFaults(home: string, name: string, faults: ApiFaultSettings | undefined): Promise<ClusterInfo> {
  return call<ClusterInfo>(await requireDaemon(home), 'PUT', `/clusters/${encodeURIComponent(name)}/api-faults`, faults ?? {clear: true})
}

/** The DNS table's record set for `name` as it answers now, or undefined when there is none. */
export async function getDnsRecords(home: string, name: string): Promise<LocalDnsAnswer | undefined> {
  try {
    return await call<LocalDnsAnswer>(await requireDaemon(home), 'GET', `/dns/${encodeURIComponent(name)}`)
  } catch (error) {
    if (error instanceof NotFoundError) return undefined
    throw error
  }
}

/** Writes a whole record set (the daemon validates it) and returns how it answers now. */
export async function putDnsRecords(home: string, set: LocalDnsRecordSet): Promise<LocalDnsAnswer> {
  return call<LocalDnsAnswer>(await requireDaemon(home), 'PUT', `/dns/${encodeURIComponent(set.name)}`, set)
}

/** Removes a record set; false when the daemon is not running or had none. */
export async function deleteDnsRecords(home: string, name: string): Promise<boolean> {
  const info = await readDaemonInfo(home)
  if (!info) return false
  return (await call<{deleted: boolean}>(info, 'DELETE', `/dns/${encodeURIComponent(name)}`)).deleted
}
