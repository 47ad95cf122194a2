import {hostname, userInfo} from 'node:os'

/** Who runs this CLI: the OS user and host, as recorded in rollouts, audit entries and leases. */
export interface Operator {
  user: string
  host: string
}

export function currentOperator(): Operator {
  let user = process.env.USER ?? process.env.USERNAME ?? 'unknown'
  try {
    user = userInfo().username || user
  } catch {
    // No passwd entry (some containers): the environment variable will do.
  }
  return {user, host: hostname()}
}

/**
 * The Lease holder identity of this process: "alice@laptop (pid 4242)". The pid makes two CLIs of
 * the same person on the same machine distinct holders, and lets a resume on the same host take
 * over at once from a CLI that was killed (see `holderIsDeadLocalProcess`).
 */
export function holderIdentity(operator: Operator = currentOperator(), pid = process.pid): string {
  return `${operator.user}@${operator.host} (pid ${pid})`
}

const HOLDER = /^(?<who>[^@]+)@(?<host>.+) \(pid (?<pid>\d+)\)$/

export function parseHolder(identity: string): {user: string; host: string; pid: number} | undefined {
  const match = HOLDER.exec(identity)
  if (!match?.groups) return undefined
  return {user: match.groups.who, host: match.groups.host, pid: Number(match.groups.pid)}
}

/** True when `identity` names a process on this host that no longer runs (a killed CLI). */
export function holderIsDeadLocalProcess(identity: string, host = hostname()): boolean {
  const parsed = parseHolder(identity)
  if (parsed === undefined || parsed.host !== host || parsed.pid === process.pid) return false
  try {
    process.kill(parsed.pid, 0)
    return false
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}
