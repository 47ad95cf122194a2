import {readFileSync} from 'node:fs'

import {packagePath} from '../../../package-root.js'
import type {ScriptOp} from './ops.js'

/**
 * The contract between the rendered database Jobs / mongod probes and the local data plane
 * (documented for people in templates/mongodb/ops/README.md; a test keeps the two in step).
 */
export const CONTRACT = {
  /** OP_PARAMS: the operation's parameters, one JSON object. */
  paramsEnv: 'OP_PARAMS',
  /** The database user and password, from the database's Secret through secretKeyRef. */
  usernameEnv: 'MONGO_USERNAME',
  passwordEnv: 'MONGO_PASSWORD',
  /** Script file name (a key of the ops ConfigMap) -> operation. */
  scripts: {
    'status.js': 'status',
    'initiate.js': 'initiate',
    'reconfigure.js': 'reconfigure',
    'step-down.js': 'step-down',
    'force-reconfigure.js': 'force-reconfigure',
    'hashes.js': 'hashes',
    'status-all.js': 'status-all',
    'app-user.js': 'app-user',
  } as Record<string, ScriptOp>,
  /**
   * status-all.js runs with `--nodb` and reads each database's root credentials from that
   * database's Secret volume: CREDENTIALS_DIR/DATABASE/{root-username,root-password}.
   */
  credentialsDir: '/credentials',
  credentialFiles: ['root-username', 'root-password'],
} as const

/**
 * The exec probes of a mongod container. Readiness passes only on PRIMARY or SECONDARY (hello
 * needs no authentication); liveness passes while mongod answers ping. Both run inside the mongod
 * container, so mongosh connects to 127.0.0.1:27017 (a different --port needs `--port`).
 */
export const PROBES = {
  readiness: ['mongosh', '--quiet', '--norc', '--eval', 'const h = db.hello(); quit(h.isWritablePrimary || h.secondary ? 0 : 1)'],
  liveness: ['mongosh', '--quiet', '--norc', '--eval', 'db.adminCommand({ping: 1})'],
  /** mongosh needs about a second to start: a shorter probe time-out fails on real nodes. */
  minTimeoutSeconds: 5,
} as const

export function scriptOp(name: string): ScriptOp | undefined {
  return Object.prototype.hasOwnProperty.call(CONTRACT.scripts, name) ? CONTRACT.scripts[name] : undefined
}

const shipped = new Map<string, string | undefined>()

/** The script as shipped in templates/mongodb/ops/ (read once). */
export function shippedScript(name: string): string | undefined {
  if (!scriptOp(name)) return undefined
  if (!shipped.has(name)) {
    try {
      shipped.set(name, readFileSync(packagePath('templates', 'mongodb', 'ops', name), 'utf8'))
    } catch {
      shipped.set(name, undefined)
    }
  }
  return shipped.get(name)
}
