/**
 * mongod's structured log lines (MongoDB 4.4+ writes one JSON document per line: t, s, c, id,
 * ctx, msg, attr; https://www.mongodb.com/docs/manual/reference/log-messages/). The simulated
 * members log their state changes, elections and rollbacks this way, so `kubectl logs` of a
 * mongod pod reads like a real one and the status script can find "Rollback summary" entries
 * through getLog. Message texts are mongod's; ids are mongod's where known (20254, 20575, 21358,
 * 23016 are checked against real logs), the others are the ones MongoDB 7.0 prints to our
 * knowledge and only decorate the line.
 */
export interface LogLine {
  s: 'F' | 'E' | 'W' | 'I'
  c: string
  id: number
  ctx: string
  msg: string
  attr?: Record<string, unknown>
}

export function formatLogLine(line: LogLine, atMs: number): string {
  const date = new Date(atMs).toISOString().replace('Z', '+00:00')
  // mongod pads after the values so the fields line up: "c":"REPL",     "id":21358,   "ctx":...
  const head = `{"t":{"$date":"${date}"},"s":"${line.s}",  "c":"${line.c}",${' '.repeat(Math.max(1, 10 - line.c.length))}"id":${line.id},${' '.repeat(Math.max(1, 8 - String(line.id).length))}"ctx":"${line.ctx}","msg":${JSON.stringify(line.msg)}`
  return `${head}${line.attr ? `,"attr":${JSON.stringify(line.attr)}` : ''}}`
}

export const LOG = {
  starting: (port: number, dbPath: string, host: string): LogLine => ({s: 'I', c: 'CONTROL', id: 4615611, ctx: 'initandlisten', msg: 'MongoDB starting', attr: {pid: 1, port, dbPath, architecture: '64-bit', host}}),
  waitingForConnections: (port: number): LogLine => ({s: 'I', c: 'NETWORK', id: 23016, ctx: 'listener', msg: 'Waiting for connections', attr: {port, ssl: 'off'}}),
  readSecurityFileFailed: (errmsg: string): LogLine => ({s: 'I', c: 'ACCESS', id: 20254, ctx: 'main', msg: 'Read security file failed', attr: {error: {code: 30, codeName: 'InvalidPath', errmsg}}}),
  serviceContextFailed: (): LogLine => ({s: 'F', c: 'CONTROL', id: 20575, ctx: 'main', msg: 'Error creating service context', attr: {error: 'Location5579201: Unable to acquire security key[s]'}}),
  stateTransition: (oldState: string, newState: string): LogLine => ({s: 'I', c: 'REPL', id: 21358, ctx: 'ReplCoord-0', msg: 'Replica set state transition', attr: {newState, oldState}}),
  startingElection: (electionTimeoutPeriodMillis: number, term: number): LogLine => ({s: 'I', c: 'REPL', id: 4615652, ctx: 'ReplCoord-0', msg: `Starting an election, since we've seen no PRIMARY in election timeout period`, attr: {electionTimeoutPeriodMillis, term}}),
  priorityTakeover: (term: number): LogLine => ({s: 'I', c: 'ELECTION', id: 21438, ctx: 'ReplCoord-0', msg: 'Starting an election for a priority takeover', attr: {term}}),
  dryRunFailed: (votes: number, needed: number): LogLine => ({s: 'I', c: 'ELECTION', id: 51758, ctx: 'ReplCoord-0', msg: 'Not running for primary, we received insufficient votes', attr: {votes, needed}}),
  electionSucceeded: (term: number): LogLine => ({s: 'I', c: 'ELECTION', id: 21450, ctx: 'ReplCoord-0', msg: 'Election succeeded, assuming primary role', attr: {term}}),
  steppingDown: (reason: string): LogLine => ({s: 'I', c: 'REPL', id: 21809, ctx: 'ReplCoord-0', msg: 'Stepping down from primary', attr: {reason}}),
  rollbackSummary: (attr: Record<string, unknown>): LogLine => ({s: 'I', c: 'ROLLBACK', id: 21612, ctx: 'BackgroundSync', msg: 'Rollback summary', attr}),
  tooStale: (): LogLine => ({s: 'E', c: 'REPL', id: 21799, ctx: 'BackgroundSync', msg: 'Too stale to catch up. See https://www.mongodb.com/docs/manual/tutorial/resync-replica-set-member/'}),
  newConfig: (version: number, term: number): LogLine => ({s: 'I', c: 'REPL', id: 21392, ctx: 'ReplCoord-0', msg: 'New replica set config in use', attr: {config: {version, term}}}),
  heartbeatFailed: (target: string, error: string): LogLine => ({s: 'I', c: 'REPL_HB', id: 23974, ctx: 'ReplCoord-0', msg: 'Heartbeat failed after max retries', attr: {target, maxHeartbeatRetries: 2, error: {code: 89, codeName: 'NetworkTimeout', errmsg: error}}}),
  initialSyncDone: (): LogLine => ({s: 'I', c: 'INITSYNC', id: 21192, ctx: 'ReplCoord-0', msg: 'Initial sync done'}),
}
