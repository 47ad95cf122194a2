import {readFileSync} from 'node:fs'

import {packagePath} from '../../../package-root.js'
import type {KubeObject} from '../../../kube/types.js'
import type {ObjectReader} from '../pod/objects.js'
import {PodFiles} from '../pod/pod-files.js'
import {basename, type ContainerSpec} from '../pod/pod-spec.js'

/**
 * The Redis entrypoint mygate ships (templates/redis/replication/entrypoint.sh), as the local data
 * plane runs it: the container's command is `sh SCRIPT redis-server ARGS...`; the mounted script
 * must be the shipped one byte for byte (a changed script would decide differently on a real node,
 * so the simulator refuses it rather than guess), and its decision is taken here from the same
 * inputs the script reads: the pod name's StatefulSet ordinal (REDIS_POD_NAME) and the files
 * beside the script (primary-ordinal, primary-host, primary-port). A unit test runs the shipped
 * script with a real `sh` over a table of inputs and checks it decides as {@link entrypointDecision}.
 */

export const ENTRYPOINT_POD_NAME_ENV = 'REDIS_POD_NAME'
const SHELLS = new Set(['sh', 'dash', 'bash'])

let shipped: string | undefined | null = null

/** templates/redis/replication/entrypoint.sh as shipped (read once). */
export function shippedRedisEntrypoint(): string | undefined {
  if (shipped === null) {
    try {
      shipped = readFileSync(packagePath('templates', 'redis', 'replication', 'entrypoint.sh'), 'utf8')
    } catch {
      shipped = undefined
    }
  }
  return shipped
}

export interface EntrypointInputs {
  podName: string | undefined
  primaryOrdinal: string
  primaryHost: string
  primaryPort: string
}

export type EntrypointDecision = {ok: true; extraArgs: string[]} | {ok: false; stderr: string[]}

/** Pure: what the script appends to redis-server's arguments (nothing for the master). */
export function entrypointDecision(inputs: EntrypointInputs): EntrypointDecision {
  const podName = inputs.podName ?? ''
  const ordinal = podName.slice(podName.lastIndexOf('-') + 1)
  if (!/^[0-9]+$/.test(ordinal)) return {ok: false, stderr: [`redis entrypoint: no StatefulSet ordinal in pod name '${podName}'`]}
  // `cat` output in $(...) loses its trailing newlines, as the shell does.
  const strip = (text: string) => text.replace(/\n+$/, '')
  if (ordinal === strip(inputs.primaryOrdinal)) return {ok: true, extraArgs: []}
  return {ok: true, extraArgs: ['--replicaof', strip(inputs.primaryHost), strip(inputs.primaryPort)]}
}

/** Whether a container's process is `sh SCRIPT ...` (the entrypoint form) rather than redis-server itself. */
export function isShellEntrypoint(argv: readonly string[]): boolean {
  return argv.length >= 2 && SHELLS.has(basename(argv[0]))
}

/**
 * The redis-server command line the entrypoint execs (after the program name), or why the
 * container exits. `argv` is the container's process with $(VAR) already expanded.
 */
export function runRedisEntrypoint(pod: KubeObject, container: ContainerSpec, objects: ObjectReader, argv: readonly string[], env: ReadonlyMap<string, string>): {ok: true; args: string[]} | {ok: false; stderr: string[]} {
  const [shell, script, program, ...args] = argv
  const files = new PodFiles(pod, objects)
  const file = files.lookup(container, script)
  // dash's words for a script it cannot open.
  if (!file.ok) return {ok: false, stderr: [file.kind === 'mount-failed' ? file.message : `${basename(shell)}: 0: cannot open ${script}: No such file`]}
  const expected = shippedRedisEntrypoint()
  if (expected === undefined || expected.replace(/\r\n/g, '\n') !== file.file.content.replace(/\r\n/g, '\n')) {
    return {ok: false, stderr: [`${script} differs from templates/redis/replication/entrypoint.sh: the local data plane runs the shipped entrypoint only (render the ConfigMap from the template)`]}
  }
  const dir = script.slice(0, script.lastIndexOf('/')) || '.'
  const read = (name: string): string | {error: string} => {
    const found = files.lookup(container, `${dir}/${name}`)
    return found.ok ? found.file.content : {error: `cat: ${dir}/${name}: No such file or directory`}
  }
  const primaryOrdinal = read('primary-ordinal')
  if (typeof primaryOrdinal !== 'string') return {ok: false, stderr: [primaryOrdinal.error]}
  const decision = entrypointDecision({podName: env.get(ENTRYPOINT_POD_NAME_ENV), primaryOrdinal, primaryHost: '', primaryPort: ''})
  if (!decision.ok) return decision
  if (program === undefined) return {ok: false, stderr: [`${script}: exec: no command to run`]}
  if (basename(program) !== 'redis-server') return {ok: false, stderr: [`the local data plane runs redis-server behind the entrypoint, not ${program}`]}
  if (decision.extraArgs.length === 0) return {ok: true, args}
  const primaryHost = read('primary-host')
  if (typeof primaryHost !== 'string') return {ok: false, stderr: [primaryHost.error]}
  const primaryPort = read('primary-port')
  if (typeof primaryPort !== 'string') return {ok: false, stderr: [primaryPort.error]}
  const full = entrypointDecision({podName: env.get(ENTRYPOINT_POD_NAME_ENV), primaryOrdinal, primaryHost, primaryPort})
  return full.ok ? {ok: true, args: [...args, ...full.extraArgs]} : full
}
