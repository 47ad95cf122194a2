import type {KubeObject} from '../../../kube/types.js'
import {containerEnv} from '../pod/env.js'
import type {ObjectReader} from '../pod/objects.js'
import {basename, type ContainerSpec, containerProcess, expandReferences, podSpecOf} from '../pod/pod-spec.js'
import {isShellEntrypoint, runRedisEntrypoint} from './redis-entrypoint.js'

/**
 * redis-server as the local data plane starts it: the container of a `redis` image whose process
 * is redis-server, its command line read as Redis reads it (each `--directive value...` is a
 * configuration directive, https://redis.io/docs/latest/operate/oss_and_stack/management/config/),
 * with `$(VAR)` expanded by the kubelet from the container's env. Only the directives mygate's
 * templates may use are known here; any other one fails as Redis fails on a directive it does not
 * know ("FATAL CONFIG FILE ERROR ... Bad directive or wrong number of arguments"): a typo cannot
 * hide behind the simulator.
 */

export interface RedisLaunchOptions {
  port: number
  requirepass?: string
  masterauth?: string
  /** `replicaof HOST PORT`. */
  replicaof?: {host: string; port: number}
  replicaReadOnly: boolean
  appendonly: boolean
  dir: string
}

export type RedisLaunch = {ok: true; options: RedisLaunchOptions} | {ok: false; stderr: string[]}

/** Directive -> number of arguments (redis.conf's documented directives mygate may pass). */
const DIRECTIVES: Record<string, number> = {
  port: 1,
  appendonly: 1,
  dir: 1,
  requirepass: 1,
  masterauth: 1,
  masteruser: 1,
  replicaof: 2,
  'replica-read-only': 1,
  'protected-mode': 1,
  maxmemory: 1,
  'maxmemory-policy': 1,
  'repl-ping-replica-period': 1,
  'repl-timeout': 1,
  'replica-priority': 1,
  loglevel: 1,
}

/**
 * The redis-server container of a pod, if any: a `redis` image running redis-server, directly or
 * behind mygate's entrypoint (`sh SCRIPT redis-server ...`, redis-entrypoint.ts).
 */
export function redisContainer(pod: KubeObject): ContainerSpec | undefined {
  return podSpecOf(pod).containers.find((c) => {
    const argv = containerProcess(c).argv
    const program = isShellEntrypoint(argv) ? argv[2] : argv[0]
    return /^(?:[\w.-]+(?::\d+)?\/)*redis(?:[:@].*)?$/.test(c.image ?? '') && basename(program ?? '') === 'redis-server'
  })
}

const fatal = (line: string, why: string): string[] => ['', '*** FATAL CONFIG FILE ERROR (Redis 7.2.5) ***', `>>> '${line}'`, why]

export function launchRedis(pod: KubeObject, container: ContainerSpec, objects: ObjectReader): RedisLaunch {
  const envResult = containerEnv(pod, container, objects, {lenient: true})
  if (!envResult.ok) return {ok: false, stderr: [envResult.message]}
  const argv = containerProcess(container).argv.map((arg) => expandReferences(arg, envResult.env))
  if (!isShellEntrypoint(argv)) return parseRedisServerArgs(argv.slice(1))
  const entry = runRedisEntrypoint(pod, container, objects, argv, envResult.env)
  return entry.ok ? parseRedisServerArgs(entry.args) : entry
}

/** Pure: redis-server's command line (after the program name). */
export function parseRedisServerArgs(args: readonly string[]): RedisLaunch {
  const options: RedisLaunchOptions = {port: 6379, replicaReadOnly: true, appendonly: false, dir: './'}
  for (let i = 0; i < args.length; ) {
    const flag = args[i]
    if (!flag.startsWith('--')) return {ok: false, stderr: fatal(flag, 'Bad directive or wrong number of arguments')}
    const name = flag.slice(2).toLowerCase()
    const arity = DIRECTIVES[name]
    // Redis turns the command line into config lines: a directive takes the words up to the next `--`.
    let end = i + 1
    while (end < args.length && !args[end].startsWith('--')) end++
    const values = args.slice(i + 1, end)
    if (arity === undefined || values.length !== arity) {
      return {ok: false, stderr: fatal([name, ...values].join(' '), 'Bad directive or wrong number of arguments')}
    }
    const yesNo = (value: string) => {
      if (value !== 'yes' && value !== 'no') throw new Error('argument must be \'yes\' or \'no\'')
      return value === 'yes'
    }
    try {
      switch (name) {
        case 'port': {
          const port = Number(values[0])
          if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('Invalid port')
          options.port = port
          break
        }
        case 'appendonly':
          options.appendonly = yesNo(values[0])
          break
        case 'replica-read-only':
          options.replicaReadOnly = yesNo(values[0])
          break
        case 'dir':
          options.dir = values[0]
          break
        case 'requirepass':
          // An env reference the kubelet could not expand stays literal: Redis would take it as the password.
          options.requirepass = values[0]
          break
        case 'masterauth':
          options.masterauth = values[0]
          break
        case 'replicaof': {
          const port = Number(values[1])
          if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error('Invalid master port')
          options.replicaof = {host: values[0], port}
          break
        }
        default:
          break
      }
    } catch (error) {
      return {ok: false, stderr: fatal([name, ...values].join(' '), (error as Error).message)}
    }
    i += 1 + arity
  }
  return {ok: true, options}
}
