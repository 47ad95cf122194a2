import type {KubeObject} from '../../../kube/types.js'
import {resolveHost, type ClusterView} from '../network.js'
import {connectionDropped} from '../pod-connections.js'
import {containerEnv} from '../pod/env.js'
import type {ObjectReader} from '../pod/objects.js'
import {type ContainerSpec, containerProcess, expandReferences} from '../pod/pod-spec.js'
import type {RedisInstance} from './redis-fleet.js'

/**
 * A redis-cli Job (src/db/redis-ops.ts) run against the simulated Redis servers as redis-cli runs:
 * its options are checked against redis-cli's documented ones
 * (https://redis.io/docs/latest/develop/tools/cli/), it connects to `-h HOST -p PORT` resolved from
 * the Job's pod (cluster DNS and the cluster set's names), authenticates with `REDISCLI_AUTH` (the
 * documented environment variable; mygate's contract forbids `-a`, `--pass` and a password in `-u`:
 * a password on a command line is visible to every process of the node), and runs one command:
 * `INFO replication`, `REPLICAOF NO ONE`, `REPLICAOF HOST PORT`, `SET KEY VALUE` (refused by a
 * read-only replica with Redis' READONLY error) and `GET KEY` (others are not simulated and say so).
 * Replies go to stdout as redis-cli prints them without a terminal (`OK`, the INFO text); an error
 * reply (`NOAUTH ...`, `WRONGPASS ...`) is printed and the simulated redis-cli exits 1; a server
 * that cannot be reached is `Could not connect to Redis at HOST:PORT: ...`, exit 1.
 */

export interface RedisJobAccess {
  /** The running redis-server behind a pod, if any. */
  instanceOf(cluster: string, pod: KubeObject): RedisInstance | undefined
  info(instance: RedisInstance): string
  promote(instance: RedisInstance): void
  follow(instance: RedisInstance, master: {host: string; port: number}): string
  write(instance: RedisInstance, key: string, value: string): {ok: true} | {ok: false; error: string}
}

export interface RedisCliRun {
  stdout: string[]
  stderr: string[]
  exitCode: number
}

/** Option -> number of values (redis-cli's documented options mygate may use, and the contract's refusals). */
const OPTIONS: Record<string, number> = {
  '-h': 1,
  '-p': 1,
  '-a': 1,
  '--user': 1,
  '--pass': 1,
  '--askpass': 0,
  '-u': 1,
  '-n': 1,
  '-t': 1,
  '--raw': 0,
  '--no-raw': 0,
  '--no-auth-warning': 0,
  '-e': 0,
  '--verbose': 0,
}

export const REDISCLI_AUTH = 'REDISCLI_AUTH'

export function runRedisCli(input: {pod: KubeObject; cluster: ClusterView; clusters: readonly ClusterView[]; objects: ObjectReader; redis?: RedisJobAccess}, container: ContainerSpec): RedisCliRun {
  const fail = (line: string): RedisCliRun => ({stdout: [], stderr: [line], exitCode: 1})
  const envResult = containerEnv(input.pod, container, input.objects, {lenient: true})
  if (!envResult.ok) return fail(envResult.message)
  const argv = containerProcess(container).argv.slice(1).map((arg) => expandReferences(arg, envResult.env))
  const options = new Map<string, string>()
  let i = 0
  for (; i < argv.length && argv[i].startsWith('-'); ) {
    const arity = OPTIONS[argv[i]]
    if (arity === undefined || (arity > 0 && i + arity >= argv.length)) return fail(`Unrecognized option or bad number of args for: '${argv[i]}'`)
    options.set(argv[i], arity === 0 ? '' : argv[i + 1])
    i += 1 + arity
  }
  if (options.has('-a') || options.has('--pass') || options.has('--askpass') || /^rediss?:\/\/[^@/]*:[^@/]*@/.test(options.get('-u') ?? '')) {
    return fail(`mygate contract: the password comes from ${REDISCLI_AUTH} (env from the Secret), never from the command line`)
  }
  const command = argv.slice(i)
  const host = options.get('-h') ?? '127.0.0.1'
  const port = Number(options.get('-p') ?? 6379)
  const unreachable = (why: string) => fail(`Could not connect to Redis at ${host}:${port}: ${why}`)
  if (!input.redis) return unreachable('Connection refused')
  const resolution = resolveHost(`${host}:${port}`, input.cluster, String(input.pod.metadata.namespace), input.clusters)
  if (!resolution.ok) return unreachable('Name or service not known')
  const endpoint = resolution.endpoints[0]
  const view = input.clusters.find((c) => c.name === endpoint.cluster)
  // The NetworkPolicies of both ends, as for mongosh's connections: a dropped connection times out.
  if (connectionDropped({cluster: input.cluster, pod: input.pod}, {cluster: view ?? input.cluster, pod: endpoint.pod}, endpoint.port)) return unreachable('Connection timed out')
  const instance = input.redis.instanceOf(endpoint.cluster, endpoint.pod)
  if (!instance || !instance.up || view?.isDown()) return unreachable('Connection timed out')
  if (instance.options.port !== port) return unreachable('Connection refused')
  const password = envResult.env.get(REDISCLI_AUTH)
  const stdout: string[] = []
  if (instance.options.requirepass !== undefined) {
    if (password === undefined) return {stdout: ['NOAUTH Authentication required.'], stderr: [], exitCode: 1}
    if (password !== instance.options.requirepass) {
      return {stdout: [], stderr: ['AUTH failed: WRONGPASS invalid username-password pair or user is disabled.', 'NOAUTH Authentication required.'], exitCode: 1}
    }
  }
  const words = command.map((w) => w.toUpperCase())
  if (words[0] === 'INFO' && (words.length === 1 || (words.length === 2 && words[1] === 'REPLICATION'))) {
    stdout.push(...input.redis.info(instance).split('\r\n'))
    return {stdout, stderr: [], exitCode: 0}
  }
  if (words.join(' ') === 'REPLICAOF NO ONE' || words.join(' ') === 'SLAVEOF NO ONE') {
    input.redis.promote(instance)
    return {stdout: ['OK'], stderr: [], exitCode: 0}
  }
  if (words[0] === 'REPLICAOF' || words[0] === 'SLAVEOF') {
    const masterPort = Number(command[2])
    if (command.length !== 3 || !Number.isInteger(masterPort) || masterPort <= 0 || masterPort > 65535) return {stdout: ['ERR Invalid master port'], stderr: [], exitCode: 1}
    return {stdout: [input.redis.follow(instance, {host: command[1], port: masterPort})], stderr: [], exitCode: 0}
  }
  if (words[0] === 'SET' && command.length === 3) {
    const written = input.redis.write(instance, command[1], command[2])
    return written.ok ? {stdout: ['OK'], stderr: [], exitCode: 0} : {stdout: [written.error], stderr: [], exitCode: 1}
  }
  if (words[0] === 'GET' && command.length === 2) {
    // redis-cli without a terminal prints a nil reply as an empty line.
    return {stdout: [instance.data.get(command[1]) ?? ''], stderr: [], exitCode: 0}
  }
  if (command.length === 0) return fail('the local data plane runs redis-cli with one command (an interactive redis-cli is not simulated)')
  return fail(`redis-cli ${command.join(' ')}: not simulated by the local data plane (INFO replication, REPLICAOF, SET and GET are)`)
}
