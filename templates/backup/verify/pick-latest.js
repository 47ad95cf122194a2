// mygate scheduled verification, step "pick" (mongosh --nodb --file; templates/backup/verify-job.yaml).
// Chooses the backup to verify from the catalog entries the catalog step copied to
// WORK/catalog/ID/entry.json: the newest by consistent point (then end time, then id), the rule
// of `backup verify --latest` (src/backup/verify/select.ts). Writes the chosen entry to
// WORK/selected.json and its archive's key to WORK/archive.key. Reads files only.
'use strict'

const fs = require('fs')
const params = JSON.parse(process.env.OP_PARAMS || '{}')
const work = params.workDir || '/work'

function finish(message, exitCode) {
  try {
    fs.writeFileSync('/dev/termination-log', message.slice(0, 4000))
  } catch {
    // The termination message is best effort; the log line below is the result.
  }
  print(message)
  quit(exitCode)
}

function newestFirst(a, b) {
  return b.consistentAt.localeCompare(a.consistentAt) || b.finishedAt.localeCompare(a.finishedAt) || b.id.localeCompare(a.id)
}

function main() {
  const dir = `${work}/catalog`
  const entries = (fs.existsSync(dir) ? fs.readdirSync(dir) : [])
    .filter((id) => fs.existsSync(`${dir}/${id}/entry.json`))
    .map((id) => JSON.parse(fs.readFileSync(`${dir}/${id}/entry.json`, 'utf8')))
    .filter((entry) => entry.kind === 'base' && entry.service === params.service)
    .sort(newestFirst)
  if (entries.length === 0) return finish(`FAILED: ${params.service} has no catalogued backup to verify`, 1)
  const chosen = entries[0]
  fs.writeFileSync(`${work}/selected.json`, JSON.stringify(chosen))
  fs.writeFileSync(`${work}/archive.key`, chosen.archive.key)
  finish(`picked ${chosen.id} (consistent at ${chosen.consistentAt}) of ${entries.length} backups`, 0)
}

try {
  main()
} catch (error) {
  finish(`FAILED: ${String(error.message || error)}`, 1)
}
