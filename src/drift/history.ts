import {type EnvironmentAuditEntry, readEnvironmentAudit} from '../audit/environment-audit.js'
import {connectEnvironment} from '../env/connect.js'

/** The `--json` result of `mygate env history`: environment operations, oldest first. */
export interface EnvironmentHistory {
  environment: string
  entries: EnvironmentAuditEntry[]
}

/** Reads the audit trail from the active region (every region holds a copy). */
export async function environmentHistory(name: string, options: {home?: string} = {}): Promise<EnvironmentHistory> {
  const connection = await connectEnvironment(name, {home: options.home})
  try {
    return {environment: name, entries: await readEnvironmentAudit(connection.primary)}
  } finally {
    connection.close()
  }
}
