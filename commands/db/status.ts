import {Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import type {RedisStatusView} from '../../src/db/redis-status.js'
import type {DatabaseStatus, DatabaseStatusReport} from '../../src/db/status.js'

export default class DbStatus extends MygateCommand<DatabaseStatusReport> {
  static override summary = "Show each MongoDB replica set of an environment (members by region, state, lag, oplog window, data) and Redis (role, link, offset by member), each with a verdict."
  static override description =
    'Runs one status Job for every database (and one redis-cli Job per Redis member, at the same time) in a region that answers. A region whose cluster does not answer is shown as unreachable. With --watch, repeats every 2 seconds until interrupted.'
  static override examples = [
    '<%= config.bin %> db status --env demo',
    '<%= config.bin %> db status --env demo --service billing-db',
    '<%= config.bin %> db status --env demo2 --region local-2 --json',
  ]
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    service: Flags.string({description: 'Only this database (a -db service, the app that owns it, or redis).'}),
    region: Flags.string({description: "Run the status from this region and show its members only."}),
    watch: Flags.boolean({description: 'Repeat every 2 seconds until interrupted.'}),
  }

  protected async execute(): Promise<DatabaseStatusReport> {
    const {flags} = await this.parse(DbStatus)
    const {environmentDatabaseStatus} = await import('../../src/db/status.js')
    const stop = new AbortController()
    const onSignal = () => stop.abort()
    if (flags.watch) process.once('SIGINT', onSignal)
    try {
      let printed = 0
      return await environmentDatabaseStatus({envName: flags.env, service: flags.service, region: flags.region, watch: flags.watch, signal: stop.signal}, (report) => {
        if (this.jsonEnabled()) return
        if (printed++ > 0) this.log('')
        this.log(`[${new Date().toISOString().slice(11, 19)}]`)
        for (const line of reportLines(report)) this.log(line)
      })
    } finally {
      process.off('SIGINT', onSignal)
    }
  }

  protected override present(report: DatabaseStatusReport): void {
    if (this.argv.includes('--watch')) return
    for (const line of reportLines(report)) this.log(line)
  }
}

const MARK: Record<string, string> = {healthy: '✔', degraded: '!', 'no-primary': '✖', 'not-initiated': '…', unknown: '?'}

function reportLines(report: DatabaseStatusReport): string[] {
  const lines: string[] = []
  for (const region of report.regions) {
    if (!region.reachable) lines.push(`Region ${region.region} [${region.role}]: unreachable (${region.error ?? 'no answer'})`)
  }
  for (const db of report.databases) lines.push('', ...databaseLines(db))
  if (report.redis) lines.push('', ...redisLines(report.redis))
  const counts = new Map<string, number>()
  for (const db of report.databases) counts.set(db.verdict, (counts.get(db.verdict) ?? 0) + 1)
  const redis = report.redis ? `; redis ${report.redis.verdict}` : ''
  lines.push('', `Result: ${[...counts].map(([verdict, n]) => `${n} ${verdict}`).join(', ') || 'no MongoDB database'}${redis} (${report.databases.length} database${report.databases.length === 1 ? '' : 's'}, ${report.elapsedMs} ms)`)
  return lines
}

function databaseLines(db: DatabaseStatus): string[] {
  const lines = [`${MARK[db.verdict] ?? '?'} ${db.database}: ${db.summary}`]
  const regions = [...new Set(db.members.map((m) => m.region))]
  for (const region of regions) {
    lines.push(`    ${region}:`)
    for (const m of db.members.filter((member) => member.region === region)) {
      const lag = m.lagSeconds === null ? '-' : `${m.lagSeconds}s`
      lines.push(`      ${m.host.padEnd(58)} ${m.state.padEnd(10)} health ${m.health}  priority ${m.priority}  votes ${m.votes}  lag ${lag}${m.unreachable ? `  (${m.unreachable})` : ''}`)
    }
  }
  if (db.oplog) lines.push(`    oplog window ${formatSeconds(db.oplog.windowSeconds)} (${db.oplog.first} .. ${db.oplog.last})`)
  if (db.collections.length > 0) {
    lines.push(`    data: ${db.collections.map((c) => `${c.name} ${c.count} docs / ${formatBytes(c.sizeBytes)}`).join(', ')}`)
  }
  for (const r of db.rollbacks) lines.push(`    rollback on ${r.member} at ${r.at}: ${r.entries} writes (${r.namespaces.join(', ')}) kept in ${r.dataDirectory}`)
  return lines
}

function redisLines(redis: RedisStatusView): string[] {
  const lines = [`${MARK[redis.verdict] ?? '?'} ${redis.service}: ${redis.summary}`]
  for (const region of [...new Set(redis.members.map((m) => m.region))]) {
    lines.push(`    ${region}:`)
    for (const m of redis.members.filter((member) => member.region === region)) {
      const link = m.linkStatus ? `  link ${m.linkStatus}${m.linkDownSinceSeconds !== undefined ? ` (${m.linkDownSinceSeconds}s)` : ''}` : ''
      const behind = `${m.lagBytes !== undefined ? `  ${m.lagBytes} bytes behind` : ''}${m.lagSeconds !== undefined ? `  heard ${m.lagSeconds}s ago` : ''}`
      lines.push(`      ${m.host.padEnd(58)} ${m.role.padEnd(10)} offset ${m.offset ?? '-'}${link}${behind}${m.error ? `  (${m.error})` : ''}`)
    }
  }
  return lines
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds}s`
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`
  return `${Math.round(seconds / 3600)}h`
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
