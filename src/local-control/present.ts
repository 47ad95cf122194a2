import type {LocalStatus} from './lifecycle.js'

/** Human rendering of `mygate local start|status`. */
export function presentLocalStatus(status: LocalStatus, log: (line: string) => void): void {
  log(`State directory: ${status.home}`)
  log(`Kubeconfig:      ${status.kubeconfig}`)
  log('')
  const rows = status.clusters.map((c) => [c.name, c.region, c.down ? 'DOWN' : c.url, String(c.objects), c.apiFaults ? `api faults ${c.apiFaults.errorRate}` : ''])
  const header = ['CLUSTER', 'REGION', 'ENDPOINT', 'OBJECTS', 'FAULTS']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  for (const row of [header, ...rows]) log(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd())
  if (status.kubectlHint) {
    log('')
    log(`Use it with: ${status.kubectlHint}`)
  }
}
