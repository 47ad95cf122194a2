import type {SyntaxNode} from '@lezer/common'
import {parser as promqlGrammar} from '@prometheus-io/lezer-promql'
import {beforeAll, describe, expect, test} from 'vitest'

import {backupAlertThresholds, largestCronGapMs, verifyCronJobName} from '../../../src/backup/alerts/backup-alerts.js'
import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog} from '../../../src/catalog/types.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {firstSyntaxError} from '../../../src/local-cluster/metrics/promql/syntax-errors.js'
import {renderEnvironment} from '../../../src/render/render-environment.js'
import {testEnvironment} from '../../helpers/builders.js'

/**
 * The backup alerts (templates/backup/alerts.yaml): thresholds from the descriptors' RPO and
 * schedules, every PrometheusRule expression (the backup alerts and manifests/per-service ones)
 * parsed by the Prometheus project's own grammar, and the backup alerts' series and labels
 * checked against what kube-state-metrics exports.
 */

interface Rule {
  alert: string
  expr: string
  labels: Record<string, string>
}

const rulesOf = (object: KubeObject): Rule[] => (object.spec as {groups: Array<{rules: Rule[]}>}).groups.flatMap((g) => g.rules)

/**
 * The kube-state-metrics series the backup alerts read, with the labels each carries, from its
 * metric docs (kube-state-metrics v2):
 * https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/cronjob-metrics.md
 * (kube_cronjob_created, kube_cronjob_status_last_successful_time: `cronjob`, `namespace`) and
 * https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/job-metrics.md
 * (kube_job_status_start_time: `job_name`, `namespace`; kube_job_failed: `job_name`,
 * `namespace`, `condition`=true|false|unknown).
 */
const KUBE_STATE_METRICS: Record<string, string[]> = {
  kube_cronjob_created: ['cronjob', 'namespace'],
  kube_cronjob_status_last_successful_time: ['cronjob', 'namespace'],
  kube_job_status_start_time: ['job_name', 'namespace'],
  kube_job_failed: ['job_name', 'namespace', 'condition'],
  kube_job_status_failed: ['job_name', 'namespace', 'reason'],
}

function nodes(query: string, name: string): SyntaxNode[] {
  const found: SyntaxNode[] = []
  promqlGrammar.parse(query).iterate({
    enter(ref) {
      if (ref.name === name) found.push(ref.node)
    },
  })
  return found
}

const text = (query: string, node: SyntaxNode | null) => (node ? query.slice(node.from, node.to) : '')

/** Every metric selector's name and the label names its matchers use. */
function selectors(query: string): Array<{metric: string; labels: string[]}> {
  return nodes(query, 'VectorSelector').map((selector) => ({
    metric: text(query, selector.getChild('Identifier')),
    labels: selector.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher').map((m) => text(query, m.getChild('LabelName'))) ?? [],
  }))
}

/** Labels named in on(...), by(...), without(...) and group_left/right(...). */
function groupingLabels(query: string): string[] {
  return nodes(query, 'GroupingLabels').flatMap((g) => g.getChildren('LabelName').map((l) => text(query, l)))
}

/** The target labels label_replace adds (its second argument). */
function replacedLabels(query: string): string[] {
  return nodes(query, 'FunctionCall')
    .filter((call) => text(query, call.getChild('FunctionIdentifier')) === 'label_replace')
    .map((call) => JSON.parse(text(query, call.getChild('FunctionCallBody')!.getChildren('StringLiteral')[0])) as string)
}

let catalog: Catalog
let objects: KubeObject[]
beforeAll(async () => {
  catalog = await loadCatalog()
  ;({objects} = await renderEnvironment({catalog, env: testEnvironment({name: 'alerts'})}))
})

describe('backup alert thresholds', () => {
  test.each([
    // database, rpo, schedule, time zone -> rpo s, slice gap s, base gap s
    ['visitors-db', '5m', '30 */6 * * *', 'Asia/Kolkata', 300, 240, 6 * 3600 + 900],
    ['auth-db', '1m', '0 * * * *', 'Asia/Kolkata', 60, 120, 3600 + 900],
    ['reports-db', '1h', '45 2 * * *', 'Asia/Kolkata', 3600, 3600, 24 * 3600 + 900],
    ['weekdays-db', '15m', '0 2 * * 1-5', 'UTC', 900, 840, 3 * 86_400 + 900],
  ])('%s: RPO %s, schedule "%s" (%s)', (database, rpo, schedule, timeZone, rpoSeconds, sliceGapSeconds, baseGapSeconds) => {
    expect(backupAlertThresholds({database, rpo, schedule, timeZone})).toEqual({rpoSeconds, sliceIntervalSeconds: sliceGapSeconds / 2, sliceGapSeconds, baseGapSeconds, verifyMaxAgeSeconds: 8 * 86_400})
  })

  test('no base schedule: no dump threshold', () => {
    expect(backupAlertThresholds({database: 'x-db', rpo: '5m'}).baseGapSeconds).toBeUndefined()
  })

  test.each([
    ['*/5 9-17 * * *', 'UTC', (24 - 17 + 9) * 3600 - 55 * 60],
    ['0 0 1 * *', 'UTC', 31 * 86_400_000 / 1000],
  ])('the largest gap of "%s" (%s) is %s s', (schedule, zone, seconds) => {
    expect(largestCronGapMs(schedule, zone) / 1000).toBe(seconds)
  })
})

describe('the rendered backup PrometheusRules', () => {
  const backupRules = () => objects.filter((o) => o.kind === 'PrometheusRule' && o.metadata.namespace === 'mygate-data')

  test('one rule per backed-up database, in the namespace of the backup CronJobs, with its thresholds', () => {
    const backedUp = catalog.services.filter((s) => s.kind === 'mongodb' && s.backup.enabled).map((s) => s.name)
    expect(backedUp.length).toBeGreaterThan(0)
    expect(backupRules().map((o) => o.metadata.name).sort()).toEqual(backedUp.map((d) => `${d}-backup-alerts`).sort())
    const visitors = rulesOf(backupRules().find((o) => o.metadata.name === 'visitors-db-backup-alerts')!)
    expect(visitors.map((r) => r.alert)).toEqual(['MygateBackupRecoveryPointTooOld', 'MygateBackupDumpMissed', 'MygateBackupOplogSliceGap', 'MygateBackupRunFailed', 'MygateBackupVerificationStale'])
    const expr = Object.fromEntries(visitors.map((r) => [r.alert, r.expr]))
    expect(expr.MygateBackupRecoveryPointTooOld).toContain('cronjob=~"visitors-db-backup|visitors-db-oplog-slice"}) > 300)')
    expect(expr.MygateBackupDumpMissed).toContain('cronjob="visitors-db-backup"} > 22500)')
    expect(expr.MygateBackupOplogSliceGap).toContain('cronjob="visitors-db-oplog-slice"} > 240)')
    expect(expr.MygateBackupVerificationStale).toContain(`cronjob="${verifyCronJobName('visitors-db')}"} > 691200)`)
    expect(expr.MygateBackupRunFailed).toContain('job_name=~"(visitors-db-backup|visitors-db-oplog-slice|visitors-db-verify)-[0-9]+"')
    for (const rule of visitors) expect(rule.labels).toMatchObject({database: 'visitors-db', service: 'visitors'})
  })

  test('every PrometheusRule expression parses with the Prometheus grammar (backup and per-service alerts)', () => {
    const all = objects.filter((o) => o.kind === 'PrometheusRule').flatMap((o) => rulesOf(o).map((r) => ({where: `${o.metadata.name}/${r.alert}`, expr: r.expr})))
    expect(all.some((r) => r.where.startsWith('visitors/'))).toBe(true)
    expect(all.some((r) => r.where.startsWith('visitors-db-backup-alerts/'))).toBe(true)
    for (const {where, expr} of all) {
      const tree = promqlGrammar.parse(expr)
      expect(firstSyntaxError(tree, expr)?.message, `${where}: ${expr}`).toBeUndefined()
    }
  })

  test('the grammar check catches a broken expression (the check above can fail)', () => {
    const broken = 'time() - max(kube_cronjob_status_last_successful_time{cronjob="x"} > 300'
    expect(firstSyntaxError(promqlGrammar.parse(broken), broken)?.message).toMatch(/parse error/)
  })

  test('the backup alerts read only series and labels kube-state-metrics exports', () => {
    for (const object of backupRules()) {
      for (const rule of rulesOf(object)) {
        const used = selectors(rule.expr)
        expect(used.length, rule.alert).toBeGreaterThan(0)
        const available = new Set<string>(replacedLabels(rule.expr))
        for (const {metric, labels} of used) {
          expect(Object.keys(KUBE_STATE_METRICS), `${rule.alert}: ${metric}`).toContain(metric)
          for (const label of KUBE_STATE_METRICS[metric]) available.add(label)
          for (const label of labels) expect(KUBE_STATE_METRICS[metric], `${rule.alert}: ${metric}{${label}}`).toContain(label)
        }
        for (const label of groupingLabels(rule.expr)) expect([...available], `${rule.alert}: on/by (${label})`).toContain(label)
      }
    }
  })

  test('a database selected alone brings its backup alerts; an app alone does not', async () => {
    const one = await renderEnvironment({catalog, env: testEnvironment({name: 'alerts'}), services: ['billing-db']})
    expect(one.baseline.filter((o) => o.kind === 'PrometheusRule').map((o) => o.metadata.name)).toEqual(['billing-db-backup-alerts'])
    const app = await renderEnvironment({catalog, env: testEnvironment({name: 'alerts'}), services: ['billing']})
    expect(app.baseline.filter((o) => o.kind === 'PrometheusRule').map((o) => o.metadata.name)).toEqual(['billing'])
  })
})
