import {PROBES} from './jobs/contract.js'
import type {MongodOptions} from './pod/mongod-launch.js'
import type {ContainerSpec, Probe} from './pod/pod-spec.js'
import type {Member} from './state.js'

/**
 * Probe verdicts for a mongod container, as the kubelet would get them:
 * - exec probes: the contract's mongosh commands (jobs/contract.ts PROBES) are evaluated against
 *   the member: readiness passes on PRIMARY or SECONDARY, liveness while mongod answers; mongosh
 *   inside the container connects to 127.0.0.1:27017, so a mongod on another port fails them; a
 *   time-out shorter than mongosh's start-up fails them; any other command is not simulated and
 *   fails, saying so;
 * - tcpSocket: passes when mongod listens on that port on the pod IP (--bind_ip_all);
 * - httpGet: mongod speaks no HTTP, it fails.
 */
export interface ProbeVerdict {
  ok: boolean
  message?: string
}

const sameCommand = (a: readonly string[] | undefined, b: readonly string[]): boolean => a !== undefined && a.length === b.length && a.every((part, i) => part === b[i])

function portOf(container: ContainerSpec, port: number | string): number | undefined {
  if (typeof port === 'number') return port
  if (/^\d+$/.test(port)) return Number(port)
  return (container.ports ?? []).find((p) => p.name === port)?.containerPort
}

export function evaluateProbe(kind: 'readiness' | 'liveness', probe: Probe | undefined, container: ContainerSpec, options: MongodOptions, member: Member | undefined): ProbeVerdict {
  if (!probe) return kind === 'readiness' ? {ok: member?.up === true} : {ok: true}
  if (probe.exec) {
    const expected = kind === 'readiness' ? PROBES.readiness : PROBES.liveness
    if (!sameCommand(probe.exec.command, expected)) {
      return {ok: false, message: `the local data plane evaluates only the contract's ${kind} probe (templates/mongodb/ops/README.md), not ${JSON.stringify(probe.exec.command ?? [])}`}
    }
    if ((probe.timeoutSeconds ?? 1) < PROBES.minTimeoutSeconds) {
      return {ok: false, message: `command timed out: mongosh did not finish within ${probe.timeoutSeconds ?? 1}s (set timeoutSeconds >= ${PROBES.minTimeoutSeconds})`}
    }
    if (options.port !== 27017) return {ok: false, message: 'MongoNetworkError: connect ECONNREFUSED 127.0.0.1:27017'}
    if (!member?.up) return {ok: false, message: 'MongoNetworkError: connect ECONNREFUSED 127.0.0.1:27017'}
    if (kind === 'liveness') return {ok: true}
    const ready = member.state === 'PRIMARY' || member.state === 'SECONDARY'
    return ready ? {ok: true} : {ok: false, message: `member state ${member.state} (hello: isWritablePrimary false, secondary false)`}
  }
  if (probe.tcpSocket) {
    const port = portOf(container, probe.tcpSocket.port)
    const listening = member?.up === true && port === options.port && options.bindAll
    return listening ? {ok: true} : {ok: false, message: `dial tcp :${port ?? probe.tcpSocket.port}: connect: connection refused`}
  }
  if (probe.httpGet) return {ok: false, message: `HTTP probe failed: mongod does not speak HTTP on port ${probe.httpGet.port}`}
  return {ok: true}
}
