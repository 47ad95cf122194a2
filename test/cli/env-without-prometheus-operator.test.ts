import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * A cluster without prometheus-operator (a fresh EKS or GKE cluster) has no
 * monitoring.coreos.com/v1 and refuses a PrometheusRule. The local control plane started with
 * MYGATE_LOCAL_WITHOUT_CRDS=monitoring.coreos.com serves no such kind (real kubectl's discovery
 * agrees); `env create` still succeeds, applies no PrometheusRule and says so in one line, and
 * `env diff --exit-code` does not count the skipped kind as drift.
 */
const SKIP_LINE = 'PrometheusRule not served by the cluster (install prometheus-operator): alerts not applied'

describe('mygate env create on a cluster without prometheus-operator (local provider)', () => {
  let local: LocalHome
  let created: {exitCode: number; stdout: string; stderr: string}
  const env = 'nopo'
  const kubectl = (...args: string[]) => runKubectl(args, {kubeconfig: `${local.home}/kubeconfig/${env}.yaml`})

  beforeAll(async () => {
    local = createLocalHome()
    local.env.MYGATE_LOCAL_WITHOUT_CRDS = 'monitoring.coreos.com'
    created = await local.cli(['env', 'create', env], {timeoutMs: 200_000})
  }, 240_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('env create exits 0, applies no PrometheusRule and says alerts were not applied', async () => {
    expect(created.exitCode, created.stderr).toBe(0)
    const lines = created.stderr.split('\n').filter((l) => l.includes('PrometheusRule'))
    expect(lines).toEqual([SKIP_LINE])

    const resources = await kubectl('api-resources', '--api-group', 'monitoring.coreos.com', '-o', 'name')
    expect(resources.exitCode, resources.stderr).toBe(0)
    expect(resources.stdout.trim()).toBe('')
    const all = await kubectl('api-resources', '-o', 'name')
    expect(all.stdout).toContain('cronjobs.batch')
    expect(all.stdout).not.toContain('prometheusrules')
    const get = await kubectl('get', 'prometheusrules', '-A')
    expect(get.exitCode).not.toBe(0)
    expect(get.stderr).toContain(`the server doesn't have a resource type "prometheusrules"`)
    // The backup CronJobs the alerts would watch are there all the same.
    const cronjobs = await kubectl('get', 'cronjobs', '-n', 'mygate-data', '-o', 'name')
    expect(cronjobs.stdout).toContain('cronjob.batch/visitors-db-backup')
  })

  test('env diff --exit-code: the skipped kind is not drift', async () => {
    const diff = await local.cli(['env', 'diff', env, '--exit-code', '--json'])
    expect(diff.exitCode, diff.stdout + diff.stderr).toBe(0)
    const {result} = parseEnvelope<{result: {drifted: boolean; skipped: Array<{kind: string; name: string; reason: string}>; objects: Array<{kind: string}>}}>(diff.stdout)
    expect(result.drifted).toBe(false)
    expect(result.objects.filter((o) => o.kind === 'PrometheusRule')).toEqual([])
    const skipped = result.skipped.filter((s) => s.kind === 'PrometheusRule')
    expect(skipped.map((s) => s.name)).toContain('visitors-db-backup-alerts')
    expect(skipped.map((s) => s.name)).toContain('visitors')
    for (const s of skipped) expect(s.reason).toBe(SKIP_LINE)
  })
})
