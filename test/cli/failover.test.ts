import {copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {DatabaseStatusReport} from '../../src/db/status.js'
import {parseEnvelope, REPO_ROOT} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * `mygate failover` through the built CLI against one two-region local environment, checked with
 * real kubectl: bad input is one line and switches nothing, --dry-run prints the plan and changes
 * nothing, a replication-lag fault on billing-db refuses the planned switchover naming it, and a
 * deploy's lock refuses the failover naming its holder.
 */

/** Billing's RPO in this test's catalog: the bundled 1 m, shortened so a lag passes it in seconds. */
const BILLING_RPO_SECONDS = 5

/**
 * The bundled catalog with billing and billing-db at a BILLING_RPO_SECONDS RPO, through the
 * documented MYGATE_SERVICES_DIR: a lagging secondary falls behind in real time (as a real one
 * does, src/local-cluster/data-plane/engine.ts lagOf), so the bundled 1 m RPO would cost the test
 * a minute of waiting for the same refusal.
 */
function catalogWithShortBillingRpo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mygate-test-catalog-'))
  const bundled = join(REPO_ROOT, 'services')
  for (const file of readdirSync(bundled).filter((f) => f.endsWith('.yaml'))) copyFileSync(join(bundled, file), join(dir, file))
  for (const file of ['billing.yaml', 'billing-db.yaml']) {
    const text = readFileSync(join(dir, file), 'utf8')
    if (!/^ {2}rpo: 1m$/m.test(text)) throw new Error(`services/${file} no longer states "rpo: 1m" under criticality: update this test`)
    writeFileSync(join(dir, file), text.replace(/^ {2}rpo: 1m$/m, `  rpo: ${BILLING_RPO_SECONDS}s`))
  }
  return dir
}

describe('mygate failover (local provider, two regions)', () => {
  let local: LocalHome
  let kubeconfig: string
  let catalog: string
  const env = 'fo'

  const kubectl = (region: string, ...args: string[]) => runKubectl(['--context', `mygate-local-${env}-${region}`, ...args], {kubeconfig})
  const activeRegion = async () => {
    const run = await kubectl('west', 'get', 'configmap', 'mygate-environment', '-n', 'mygate-system', '-o', 'jsonpath={.data.environment\\.json}')
    return (JSON.parse(run.stdout) as {activeRegion: string}).activeRegion
  }
  const failoverRuns = async (region: string) => (await kubectl(region, 'get', 'configmaps', '-n', 'mygate-system', '-l', 'mygate.dev/failover-run', '-o', 'name')).stdout.trim()
  const oneLine = (stderr: string) => {
    const lines = stderr.trimEnd().split('\n').filter((l) => l.startsWith('Error:'))
    expect(lines, stderr).toHaveLength(1)
    expect(stderr).not.toMatch(/^\s+at /m)
    return lines[0]
  }

  beforeAll(async () => {
    catalog = catalogWithShortBillingRpo()
    local = createLocalHome({env: {MYGATE_SERVICES_DIR: catalog}})
    const created = await local.cli(['env', 'create', env, '--region', 'west', '--secondary-region', 'east'], {env: {MYGATE_LOCAL_DB_TIME_SCALE: '0.1'}, timeoutMs: 200_000})
    expect(created.exitCode, created.stderr).toBe(0)
    kubeconfig = `${local.home}/kubeconfig/${env}.yaml`
  }, 240_000)

  afterAll(async () => {
    await local?.cleanup()
    if (catalog) rmSync(catalog, {recursive: true, force: true})
  })

  test.each([
    [['--to', 'north'], 'Error: --to "north" is not a region of environment "fo"'],
    [['--to', 'west'], 'Error: --to "west" is already the active region of "fo"'],
    [['--override', 'lag'], 'Error: --override "lag" is not a readiness check'],
    [['--forced'], 'Error: a forced failover needs confirmation, and there is no terminal to ask in'],
    [['--forced', '--confirm', 'other'], 'Error: --confirm "other" does not match "fo"'],
    [['--planned', '--forced'], '--forced'],
  ])('bad input %j: one line, exit 2, nothing switched', async (args, message) => {
    const run = await local.cli(['failover', '--env', env, ...args])
    expect(run.exitCode, run.stderr).toBe(2)
    expect(run.stdout).toBe('')
    if (message.startsWith('Error:')) expect(oneLine(run.stderr)).toContain(message)
    else expect(run.stderr).toContain(message)
    expect(await activeRegion()).toBe('west')
  })

  test('--dry-run prints the plan in order and changes nothing', async () => {
    const run = await local.cli(['failover', '--env', env, '--dry-run', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const {result} = parseEnvelope<{result: {dryRun: boolean; plan: {from: string; to: string; steps: Array<{id: string; region: string}>}}}>(run.stdout)
    expect(result.dryRun).toBe(true)
    expect(result.plan).toMatchObject({from: 'west', to: 'east'})
    const ids = result.plan.steps.map((s) => s.id)
    expect(ids[0]).toBe('scale-target')
    expect(ids.indexOf('move-primary:billing-db')).toBeLessThan(ids.indexOf('switch-traffic'))
    expect(ids.indexOf('verify-gateway')).toBeLessThan(ids.indexOf('scale-source'))
    expect(ids.at(-1)).toBe('record-active')
    expect(await activeRegion()).toBe('west')
    expect(await failoverRuns('east')).toBe('')
    const human = await local.cli(['failover', '--env', env, '--dry-run'])
    expect(human.stdout).toContain('Planned switchover of fo: west -> east')
    expect(human.stdout).toContain('  1. scale east to full: apps at the recorded versions, HPA bounds')
  })

  test(`a 2 m replication-lag fault on billing-db (RPO ${BILLING_RPO_SECONDS} s) refuses the planned switchover and names it`, async () => {
    const fault = await local.cli(['local', 'fault', '--env', env, '--service', 'billing-db', '--replication-lag', '2m'])
    expect(fault.exitCode, fault.stderr).toBe(0)
    try {
      // A lagging secondary falls behind in real time, as a real one does: wait until db status
      // shows east's member past the RPO (a few seconds of writes).
      const deadline = Date.now() + 60_000
      for (;;) {
        const status = await local.cli(['db', 'status', '--env', env, '--service', 'billing-db', '--json'])
        expect(status.exitCode, status.stderr).toBe(0)
        const east = parseEnvelope<{result: DatabaseStatusReport}>(status.stdout).result.databases[0].members.find((m) => m.region === 'east')
        if ((east?.lagSeconds ?? 0) > BILLING_RPO_SECONDS) break
        expect(Date.now(), `east's billing-db member never lagged past ${BILLING_RPO_SECONDS} s: ${JSON.stringify(east)}`).toBeLessThan(deadline)
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
      const run = await local.cli(['failover', '--env', env, '--json'])
      expect(run.exitCode, run.stderr).toBe(7)
      const envelope = parseEnvelope<{ok: boolean; error: {message: string; hint: string}}>(run.stdout)
      expect(envelope.ok).toBe(false)
      expect(envelope.error.message).toMatch(/^planned switchover of fo refused: database-lag: .*billing-db/)
      expect(envelope.error.hint).toContain('--override database-lag')
      expect(await activeRegion()).toBe('west')
      const gateway = await kubectl('east', 'get', 'deployment', 'gateway', '-n', 'mygate', '-o', 'jsonpath={.spec.replicas}')
      expect(gateway.stdout).toBe('1')
    } finally {
      await local.cli(['local', 'fault', '--env', env, '--service', 'billing-db', '--clear'])
    }
  }, 200_000)

  test('a deploy holding its lock refuses the failover, naming the holder', async () => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, '.000000Z')
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'mygate-deploy-visitors',
        namespace: 'mygate-system',
        labels: {'app.kubernetes.io/managed-by': 'mygate', 'mygate.dev/lock': 'service', 'mygate.dev/rollout-service': 'visitors', 'mygate.dev/environment': env},
        annotations: {'mygate.dev/lock-scope': JSON.stringify({kind: 'service', service: 'visitors', operation: 'deploy'})},
      },
      spec: {holderIdentity: 'ci@build-7:4242', leaseDurationSeconds: 600, acquireTime: now, renewTime: now},
    }
    const applied = await runKubectl(['--context', `mygate-local-${env}-west`, 'apply', '-f', '-'], {kubeconfig, input: JSON.stringify(lease)})
    expect(applied.exitCode, applied.stderr).toBe(0)
    const runsBefore = await failoverRuns('east')
    try {
      const run = await local.cli(['failover', '--env', env, '--override', 'database-lag', '--confirm', env])
      expect(run.exitCode, run.stderr).toBe(6)
      expect(oneLine(run.stderr)).toContain('ci@build-7:4242')
      expect(await activeRegion()).toBe('west')
      expect(await failoverRuns('east')).toBe(runsBefore)
    } finally {
      await kubectl('west', 'delete', 'lease', 'mygate-deploy-visitors', '-n', 'mygate-system')
    }
  }, 120_000)

  test('a standby never runs stale code: a succeeded rollout in west reaches east at standby scale', async () => {
    const deployed = await local.cli(['deploy', 'visitors', '--env', env, '--version', '3.5.0', '--rolling'])
    expect(deployed.exitCode, deployed.stderr).toBe(0)
    const east = await kubectl('east', 'get', 'deployment', 'visitors', '-n', 'mygate', '-o', 'json')
    const deployment = JSON.parse(east.stdout) as {spec: {replicas: number; template: {spec: {containers: Array<{image: string}>}}}}
    expect(deployment.spec.template.spec.containers[0].image).toMatch(/visitors:3\.5\.0$/)
    expect(deployment.spec.replicas).toBe(1)
  }, 180_000)
})
