import type {IncomingMessage, ServerResponse} from 'node:http'

import type {KubeObject} from '../../kube/types.js'
import type {LogLineRecord, PodRef} from '../kubelet/container-logs.js'
import {rfc3339Nano} from '../kubelet/container-logs.js'
import {apiErrors} from '../store/api-error.js'
import type {LocalObjectStore} from '../store/object-store.js'

/** Where container logs come from (the cluster's kubelet log files). */
export interface PodLogSource {
  read(pod: PodRef, container: string): LogLineRecord[]
  follow(pod: PodRef, container: string, listener: (line: LogLineRecord) => void): () => void
}

const PODS = {group: '', resource: 'pods'}
const POD_LOG_OPTIONS = {group: '', kind: 'PodLogOptions', resource: 'pods'}
/** How often a follow checks whether the container has finished or the pod is gone. */
const FOLLOW_CHECK_MS = 250

interface ContainerState {
  waiting?: {reason?: string}
  running?: unknown
  terminated?: unknown
}
interface ContainerStatus {
  name: string
  restartCount?: number
  state?: ContainerState
  lastState?: ContainerState
}

export interface PodLogOptions {
  container?: string
  follow: boolean
  previous: boolean
  timestamps: boolean
  tailLines?: number
  limitBytes?: number
  sinceMs?: number
}

function integer(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name)
  if (raw === null || raw === '') return undefined
  const value = Number(raw)
  if (!Number.isInteger(value)) throw apiErrors.badRequest(`${name}: invalid value "${raw}": must be an integer`)
  return value
}

const flag = (query: URLSearchParams, name: string): boolean => ['true', '1'].includes(query.get(name) ?? '')

/**
 * The query of GET pods/NAME/log, validated as the API server does (ValidatePodLogOptions: a
 * negative tailLines or a limitBytes or sinceSeconds below 1 is 422 Invalid, both since* is 400).
 */
export function parsePodLogOptions(podName: string, query: URLSearchParams, now: number): PodLogOptions {
  const tailLines = integer(query, 'tailLines')
  const limitBytes = integer(query, 'limitBytes')
  const sinceSeconds = integer(query, 'sinceSeconds')
  const sinceTime = query.get('sinceTime')
  const causes = [
    ...(tailLines !== undefined && tailLines < 0 ? [{field: 'tailLines', message: `Invalid value: ${tailLines}: must be greater than or equal to 0`}] : []),
    ...(limitBytes !== undefined && limitBytes < 1 ? [{field: 'limitBytes', message: `Invalid value: ${limitBytes}: must be greater than 0`}] : []),
    ...(sinceSeconds !== undefined && sinceSeconds < 1 ? [{field: 'sinceSeconds', message: `Invalid value: ${sinceSeconds}: must be greater than 0`}] : []),
  ]
  if (causes.length > 0) throw apiErrors.invalid(POD_LOG_OPTIONS, podName, causes)
  if (sinceSeconds !== undefined && sinceTime) throw apiErrors.badRequest('at most one of `sinceTime` or `sinceSeconds` may be specified')
  let sinceMs: number | undefined
  if (sinceSeconds !== undefined) sinceMs = now - sinceSeconds * 1000
  else if (sinceTime) {
    sinceMs = Date.parse(sinceTime)
    if (!Number.isFinite(sinceMs)) throw apiErrors.badRequest(`sinceTime: invalid value "${sinceTime}": must be RFC 3339`)
  }
  return {
    container: query.get('container') || undefined,
    follow: flag(query, 'follow'),
    previous: flag(query, 'previous'),
    timestamps: flag(query, 'timestamps'),
    tailLines,
    limitBytes,
    sinceMs,
  }
}

/** Picks the container the request names, answering as the API server does when it cannot. */
export function logContainer(pod: KubeObject, requested: string | undefined): {name: string; status?: ContainerStatus} {
  const spec = pod.spec as {containers?: Array<{name: string}>; initContainers?: Array<{name: string}>} | undefined
  const containers = (spec?.containers ?? []).map((c) => c.name)
  const inits = (spec?.initContainers ?? []).map((c) => c.name)
  const podName = String(pod.metadata.name)
  let name = requested
  if (name === undefined) {
    if (containers.length !== 1) {
      const initPart = inits.length > 0 ? ` or one of the init containers: [${inits.join(' ')}]` : ''
      throw apiErrors.badRequest(`a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]${initPart}`)
    }
    name = containers[0]
  }
  if (!containers.includes(name) && !inits.includes(name)) throw apiErrors.badRequest(`container ${name} is not valid for pod ${podName}`)
  const status = pod.status as {containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[]} | undefined
  return {name, status: [...(status?.containerStatuses ?? []), ...(status?.initContainerStatuses ?? [])].find((c) => c.name === name)}
}

/** Applies sinceTime/tailLines/timestamps/limitBytes to a log, in the kubelet's order. */
export function renderLog(lines: readonly LogLineRecord[], options: PodLogOptions): string {
  let selected = options.sinceMs === undefined ? lines : lines.filter((line) => line.at >= (options.sinceMs as number))
  if (options.tailLines !== undefined) selected = options.tailLines === 0 ? [] : selected.slice(-options.tailLines)
  const text = selected.map((line) => renderLine(line, options.timestamps)).join('')
  return options.limitBytes === undefined ? text : Buffer.from(text).subarray(0, options.limitBytes).toString()
}

const renderLine = (line: LogLineRecord, timestamps: boolean): string => `${timestamps ? `${rfc3339Nano(line.at)} ` : ''}${line.text}\n`

const finished = (pod: KubeObject | undefined): boolean => {
  const phase = (pod?.status as {phase?: string} | undefined)?.phase
  return !pod || phase === 'Succeeded' || phase === 'Failed' || Boolean(pod.metadata.deletionTimestamp)
}

/** GET /api/v1/namespaces/NS/pods/NAME/log: text/plain, optionally streamed (follow). */
export async function handlePodLog(req: IncomingMessage, res: ServerResponse, store: LocalObjectStore, namespace: string, name: string, query: URLSearchParams, source: PodLogSource | undefined): Promise<void> {
  if ((req.method ?? 'GET') !== 'GET') throw apiErrors.methodNotAllowed()
  const pod = store.getShared(PODS, namespace, name)
  if (!pod) throw apiErrors.notFound(PODS, name)
  const options = parsePodLogOptions(name, query, Date.now())
  const {name: container, status} = logContainer(pod, options.container)
  const started = status?.state?.running !== undefined || status?.state?.terminated !== undefined || status?.lastState?.terminated !== undefined
  if (!started) {
    const reason = status?.state?.waiting?.reason ?? 'ContainerCreating'
    throw apiErrors.badRequest(`container "${container}" in pod "${name}" is waiting to start: ${reason}`)
  }
  if (options.previous && !(status?.restartCount && status.lastState?.terminated)) {
    throw apiErrors.badRequest(`previous terminated container "${container}" in pod "${name}" not found`)
  }
  const ref = {namespace, name, uid: String(pod.metadata.uid)}
  const lines = source?.read(ref, container) ?? []
  const body = renderLog(lines, options)
  res.writeHead(200, {'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private'})
  if (!options.follow || !source || finished(pod)) {
    res.end(body)
    return
  }
  res.write(body)
  let sent = Buffer.byteLength(body)
  await new Promise<void>((resolve) => {
    let done = false
    const stop = (): void => {
      if (done) return
      done = true
      unfollow()
      clearInterval(check)
      res.end()
      resolve()
    }
    const unfollow = source.follow(ref, container, (line) => {
      const text = renderLine(line, options.timestamps)
      if (options.limitBytes !== undefined && sent + Buffer.byteLength(text) > options.limitBytes) {
        res.write(Buffer.from(text).subarray(0, options.limitBytes - sent))
        stop()
        return
      }
      sent += Buffer.byteLength(text)
      res.write(text)
    })
    const check = setInterval(() => {
      if (finished(store.getShared(PODS, namespace, name))) stop()
    }, FOLLOW_CHECK_MS)
    check.unref?.()
    req.on('close', stop)
    res.on('close', stop)
  })
}
