import type {KubeObject} from '../../../kube/types.js'
import {LOG, type LogLine} from '../mongod-log.js'
import {containerEnv} from './env.js'
import type {ObjectReader} from './objects.js'
import {canRead, identityOf, PodFiles} from './pod-files.js'
import {type ContainerSpec, containerProcess, expandReferences, podSpecOf} from './pod-spec.js'

/** How a mongod process was started, once its options and key file passed. */
export interface MongodOptions {
  replSet?: string
  port: number
  dbPath: string
  /** Listening on every interface (--bind_ip_all or 0.0.0.0), else only on localhost. */
  bindAll: boolean
  /** Access control: --auth, --keyFile (which implies it) or the image entrypoint's --auth. */
  auth: boolean
  keyFile?: string
}

export type MongodLaunch =
  | {ok: true; container: ContainerSpec; options: MongodOptions; rootUser?: {user: string; password: string}}
  | {ok: false; container: ContainerSpec; exitCode: number; lines: LogLine[]; stderr: string[]}

/**
 * mongod's documented command-line options (https://www.mongodb.com/docs/manual/reference/program/mongod/),
 * with whether each takes a value. mongod refuses anything else: "Error parsing command line:
 * unrecognised option" and exit code 2 (EXIT_BADOPTIONS).
 */
export const MONGOD_OPTIONS: Record<string, 'flag' | 'value'> = {
  '--help': 'flag', '-h': 'flag', '--version': 'flag', '--config': 'value', '-f': 'value', '--configExpand': 'value', '--verbose': 'flag', '-v': 'flag',
  '--quiet': 'flag', '--port': 'value', '--bind_ip': 'value', '--bind_ip_all': 'flag', '--ipv6': 'flag', '--listenBacklog': 'value', '--maxConns': 'value',
  '--logpath': 'value', '--syslog': 'flag', '--syslogFacility': 'value', '--logappend': 'flag', '--logRotate': 'value', '--timeStampFormat': 'value',
  '--pidfilepath': 'value', '--timeZoneInfo': 'value', '--keyFile': 'value', '--setParameter': 'value', '--nounixsocket': 'flag', '--unixSocketPrefix': 'value',
  '--filePermissions': 'value', '--fork': 'flag', '--auth': 'flag', '--noauth': 'flag', '--transitionToAuth': 'flag', '--clusterAuthMode': 'value',
  '--clusterIpSourceAllowlist': 'value', '--profile': 'value', '--slowms': 'value', '--slowOpSampleRate': 'value', '--profileFilter': 'value',
  '--oplogMinRetentionHours': 'value', '--networkMessageCompressors': 'value', '--tlsMode': 'value', '--tlsCertificateKeyFile': 'value',
  '--tlsCertificateKeyFilePassword': 'value', '--tlsCAFile': 'value', '--tlsClusterFile': 'value', '--tlsClusterCAFile': 'value', '--tlsCRLFile': 'value',
  '--tlsAllowConnectionsWithoutCertificates': 'flag', '--tlsAllowInvalidCertificates': 'flag', '--tlsAllowInvalidHostnames': 'flag', '--tlsDisabledProtocols': 'value',
  '--tlsFIPSMode': 'flag', '--storageEngine': 'value', '--dbpath': 'value', '--directoryperdb': 'flag', '--syncdelay': 'value', '--journalCommitInterval': 'value',
  '--upgrade': 'flag', '--repair': 'flag', '--wiredTigerCacheSizeGB': 'value', '--wiredTigerJournalCompressor': 'value', '--wiredTigerDirectoryForIndexes': 'flag',
  '--wiredTigerCollectionBlockCompressor': 'value', '--wiredTigerIndexPrefixCompression': 'value', '--replSet': 'value', '--oplogSize': 'value',
  '--enableMajorityReadConcern': 'value', '--shardsvr': 'flag', '--configsvr': 'flag', '--outputConfig': 'flag', '--shutdown': 'flag', '--noscripting': 'flag',
  '--notablescan': 'flag', '--cpu': 'flag', '--sysinfo': 'flag', '--enableFreeMonitoring': 'value', '--inMemorySizeGB': 'value', '--auditDestination': 'value',
}

const MONGOD_BAD_OPTIONS_EXIT = 2
const FAILURE_EXIT = 1

/** True when the container runs mongod (directly or through the mongo image's entrypoint). */
export function runsMongod(container: ContainerSpec): boolean {
  return containerProcess(container).argv[0]?.split('/').at(-1) === 'mongod'
}

/** The mongod container of a pod, if it has one. */
export function mongodContainer(pod: KubeObject): ContainerSpec | undefined {
  return podSpecOf(pod).containers.find(runsMongod)
}

/** Reads mongod's arguments; undefined for an option mongod does not know. */
export function parseMongodArgs(args: readonly string[]): {values: Map<string, string>; flags: Set<string>} | {unknown: string} {
  const values = new Map<string, string>()
  const flags = new Set<string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    const eq = arg.indexOf('=')
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    const kind = MONGOD_OPTIONS[name]
    if (!kind) return {unknown: name}
    if (kind === 'flag') flags.add(name)
    else values.set(name, eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : (args[++i] ?? ''))
  }
  return {values, flags}
}

/**
 * What happens when the kubelet starts a mongod container: option parsing, the official image's
 * entrypoint (docker-library/mongo docker-entrypoint.sh: with both MONGO_INITDB_ROOT_USERNAME and
 * MONGO_INITDB_ROOT_PASSWORD it adds --auth and, on an empty data directory, creates that root user
 * in the admin database; only one of them is an error; without --bind_ip it adds --bind_ip_all),
 * then the key-file checks of src/mongo/db/auth/security_file.cpp: the file must exist, have no
 * group or other permission bits ("permissions on FILE are too open"), be readable by mongod and
 * hold 6 to 1024 base64 characters.
 */
export function launchMongod(pod: KubeObject, container: ContainerSpec, objects: ObjectReader): MongodLaunch {
  const fail = (exitCode: number, lines: LogLine[], stderr: string[] = []): MongodLaunch => ({ok: false, container, exitCode, lines, stderr})
  const envResult = containerEnv(pod, container, objects, {lenient: true})
  if (!envResult.ok) return fail(FAILURE_EXIT, [], [envResult.message])
  const env = envResult.env
  const {argv, viaEntrypoint} = containerProcess(container)
  const args = argv.slice(1).map((arg) => expandReferences(arg, env))
  const parsed = parseMongodArgs(args)
  if ('unknown' in parsed) {
    return fail(MONGOD_BAD_OPTIONS_EXIT, [], [`Error parsing command line: unrecognised option '${parsed.unknown}'`, "try 'mongod --help' for more information"])
  }
  const {values, flags} = parsed
  if (values.has('--config') || values.has('-f')) {
    return fail(FAILURE_EXIT, [], ['the local data plane does not read mongod configuration files: pass the options as arguments (see templates/mongodb/ops/README.md)'])
  }
  let auth = flags.has('--auth') || values.has('--keyFile')
  let bindAll = flags.has('--bind_ip_all') || (values.get('--bind_ip') ?? '').split(',').some((ip) => ip.trim() === '0.0.0.0' || ip.trim() === '::')
  let rootUser: {user: string; password: string} | undefined
  if (viaEntrypoint) {
    const fromFile = (name: string): string | undefined => {
      const path = env.get(`${name}_FILE`)
      if (!path) return env.get(name) || undefined
      const file = new PodFiles(pod, objects).lookup(container, path)
      return file.ok ? file.file.content.replace(/\n$/, '') : undefined
    }
    const user = fromFile('MONGO_INITDB_ROOT_USERNAME')
    const password = fromFile('MONGO_INITDB_ROOT_PASSWORD')
    if (user && password) {
      auth = true
      rootUser = {user, password}
    } else if (user || password) {
      return fail(FAILURE_EXIT, [], ['', "error: missing 'MONGO_INITDB_ROOT_USERNAME' or 'MONGO_INITDB_ROOT_PASSWORD'", '       both must be specified for a user to be created', ''])
    }
    if (!values.has('--bind_ip') && !flags.has('--bind_ip_all')) bindAll = true
  }
  const port = Number(values.get('--port') ?? 27017)
  if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(MONGOD_BAD_OPTIONS_EXIT, [], [`Error parsing command line: port number ${values.get('--port')} out of range`])
  const keyFile = values.get('--keyFile')
  if (keyFile !== undefined) {
    const problem = keyFileProblem(pod, container, objects, keyFile)
    if (problem) return fail(FAILURE_EXIT, [LOG.readSecurityFileFailed(problem), LOG.serviceContextFailed()])
  }
  return {ok: true, container, options: {replSet: values.get('--replSet'), port, dbPath: values.get('--dbpath') ?? '/data/db', bindAll, auth, keyFile}, ...(rootUser ? {rootUser} : {})}
}

/** The error mongod reports for a key file, or undefined when it is fine. */
export function keyFileProblem(pod: KubeObject, container: ContainerSpec, objects: ObjectReader, path: string): string | undefined {
  const lookup = new PodFiles(pod, objects).lookup(container, path)
  if (!lookup.ok) return `Error reading file ${path}: No such file or directory`
  const file = lookup.file
  if ((file.mode & 0o077) !== 0) return `permissions on ${path} are too open`
  if (!canRead(identityOf(podSpecOf(pod), container), file)) return `error opening file: ${path}: Permission denied`
  let key = ''
  for (const c of file.content) {
    if (/\s/.test(c)) continue
    if (!/[A-Za-z0-9+/=]/.test(c)) return `invalid char in key file ${path}: ${c}`
    key += c
  }
  if (key.length < 6 || key.length > 1024) return `security key in ${path} has length ${key.length}, must be between 6 and 1024 chars`
  return undefined
}
