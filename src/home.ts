import {homedir} from 'node:os'
import {join} from 'node:path'

/** Every piece of mygate's local state lives under this directory ($MYGATE_HOME, default ~/.mygate). */
export function mygateHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.MYGATE_HOME && env.MYGATE_HOME.trim() !== '' ? env.MYGATE_HOME : join(homedir(), '.mygate')
}
