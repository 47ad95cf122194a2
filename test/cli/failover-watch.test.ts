import {execa, type ResultPromise} from 'execa'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {CLI_BIN, expectOneLineError, parseEnvelope, REPO_ROOT} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * `mygate failover watch` through the built CLI, checked with real kubectl, on two local
 * environments of two regions each:
 * - dr (warm standby, dev layout: the active region west holds every database's majority): the
 *   watch runs as a long-lived subprocess; west goes down; after three failed probes in a row (not
 *   one) it alerts on stderr, as a Warning Event in east's mygate-system and with the exact
 *   `failover --forced` command, forces nothing (no run, no PRIMARY in east) and keeps watching.
 * - aa (active-active): east, the secondary, goes down while west keeps every PRIMARY, so the
 *   watch acts: `--once` refuses while another holder has the environment lock (exit 11), then
 *   runs a failover run of its own (exit 10, who = watch) that takes east out of the weighted DNS.
 */
describe('mygate failover watch (local provider, two regions)', () => {
  let local: LocalHome
  const databases = ['amenities-db', 'auth-db', 'billing-db', 'maintenance-db', 'notifications-db', 'reports-db', 'users-db', 'visitors-db']

  const kubectl = async (env: string, region: string, ...args: string[]) => {
    const run = await runKubectl(['--context', `mygate-local-${env}-${region}`, ...args], {kubeconfig: `${local.home}/kubeconfig/${env}.yaml`})
    expect(run.exitCode, run.stderr).toBe(0)
    return run.stdout
  }
  const history = async (env: string) => {
    const run = await local.cli(['failover', 'history', '--env', env, '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    return parseEnvelope<{result: {runs: Array<{id: string; mode: string; from: string; to: string; outcome: string; who: string}>}}>(run.stdout).result.runs
  }
  const fault = async (...args: string[]) => {
    const run = await local.cli(['local', 'fault', ...args])
    expect(run.exitCode, run.stderr).toBe(0)
  }

  beforeAll(async () => {
    local = createLocalHome()
    const dr = await local.cli(['env', 'create', 'dr', '--region', 'west', '--secondary-region', 'east'], {timeoutMs: 200_000})
    expect(dr.exitCode, dr.stderr).toBe(0)
    const aa = await local.cli(['env', 'create', 'aa', '--region', 'west', '--secondary-region', 'east', '--dr-mode', 'active-active'], {timeoutMs: 200_000})
    expect(aa.exitCode, aa.stderr).toBe(0)
  }, 420_000)

  afterAll(async () => {
    await local?.cleanup()
  })

  test.each([
    {args: ['--interval', '0'], message: '--interval 0ms is too short', hint: 'use --interval 1s or more'},
    {args: ['--interval', 'soon'], message: '--interval "soon" is not a duration', hint: 'e.g. 30s'},
  ])('bad input $args: one line, exit 2, nothing probed', async ({args, message, hint}) => {
    const run = await local.cli(['failover', 'watch', '--env', 'dr', '--once', ...args])
    expect(run.exitCode).toBe(2)
    const line = expectOneLineError(run)
    expect(line).toContain(message)
    expect(line).toContain(hint)
  })

  test('warm standby, the active region down: alerts after the threshold, never forces, keeps watching, and sees it return', async () => {
    let stderr = ''
    const watch: ResultPromise = execa(process.execPath, [CLI_BIN, 'failover', 'watch', '--env', 'dr', '--interval', '1s', '--threshold', '3'], {
      cwd: REPO_ROOT,
      env: {NO_COLOR: '1', ...local.env},
      reject: false,
      stdin: 'ignore',
      timeout: 240_000,
    })
    watch.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const until = async (what: RegExp, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs
      while (!what.test(stderr)) {
        if (Date.now() > deadline) throw new Error(`no ${what} on the watch's stderr within ${timeoutMs} ms:\n${stderr}`)
        if (watch.exitCode !== undefined && watch.exitCode !== null) throw new Error(`the watch exited (${watch.exitCode}):\n${stderr}`)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    }
    try {
      // A round or two while everything answers: nothing is said.
      await new Promise((resolve) => setTimeout(resolve, 3000))
      expect(stderr).not.toMatch(/probe failed|LOST|ALERT/)
      await fault('--env', 'dr', '--region-down', 'west')
      await until(/ALERT dr:/, 90_000)
      const lines = stderr.split('\n')
      // Never on one blip: two failed probes are reported as such before the loss, and only then the alert.
      const first = lines.findIndex((l) => l.includes('probe failed for west (1/3)'))
      const second = lines.findIndex((l) => l.includes('probe failed for west (2/3)'))
      const lost = lines.findIndex((l) => l.includes('west LOST after 3 failed probes in a row'))
      const alert = lines.findIndex((l) => l.includes('ALERT dr:'))
      expect([first, second, lost, alert].every((i) => i >= 0), stderr).toBe(true)
      expect(first).toBeLessThan(second)
      expect(second).toBeLessThan(lost)
      expect(lost).toBeLessThan(alert)
      expect(lines[alert]).toContain('east holds no majority of')
      expect(lines[alert]).toContain('the watch never forces')
      expect(lines[alert]).toContain('run: mygate failover --env dr --forced --confirm dr')

      // The Event in the surviving region's mygate-system carries the same command.
      const events = JSON.parse(await kubectl('dr', 'east', 'get', 'events', '-n', 'mygate-system', '-o', 'json')) as {items: Array<{type: string; reason: string; message: string; involvedObject: {name: string}}>}
      const regionLost = events.items.filter((e) => e.reason === 'RegionLost')
      expect(regionLost).toHaveLength(1)
      expect(regionLost[0]).toMatchObject({type: 'Warning', involvedObject: {name: 'mygate-environment'}})
      expect(regionLost[0].message).toContain('Run: mygate failover --env dr --forced --confirm dr')

      // Nothing was forced: no failover run, and east holds no PRIMARY (the dev layout's east has no majority).
      expect(await history('dr')).toEqual([])
      const status = await local.cli(['db', 'status', '--env', 'dr', '--json'])
      expect(status.exitCode, status.stderr).toBe(0)
      const sets = parseEnvelope<{result: {databases: Array<{database: string; primary: string | null}>}}>(status.stdout).result.databases
      expect(sets.map((d) => d.database).sort()).toEqual(databases)
      for (const set of sets) expect(set.primary, set.database).toBeNull()

      // It keeps watching, and alerts once per loss, not every round.
      await new Promise((resolve) => setTimeout(resolve, 3000))
      expect(watch.exitCode ?? null).toBeNull()
      expect(stderr.match(/ALERT dr:/g)).toHaveLength(1)

      await fault('--env', 'dr', '--region-down', 'west', '--clear')
      await until(/west answers again \(it was lost\)/, 60_000)
    } finally {
      watch.kill('SIGTERM')
    }
    const ended = await watch
    expect(ended.exitCode, stderr).toBe(0)
    expect(String(ended.stdout)).toContain('Result: every region healthy')
  }, 300_000)

  test('active-active, the secondary down while the primary region keeps every PRIMARY: refuses under another\'s lock, then acts as a run of its own', async () => {
    const healthy = await local.cli(['failover', 'watch', '--env', 'aa', '--once', '--interval', '1s', '--json'])
    expect(healthy.exitCode, healthy.stderr).toBe(0)
    expect(parseEnvelope<{result: {verdict: string; rounds: number}}>(healthy.stdout).result).toMatchObject({verdict: 'healthy', rounds: 1})

    // Someone else holds the environment lock in west (a person's failover on another machine).
    const now = new Date().toISOString().replace('Z', '000Z')
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {name: 'mygate-environment-lock', namespace: 'mygate-system', labels: {'mygate.dev/lock': 'environment'}},
      spec: {holderIdentity: 'alice@ops-laptop:4242', acquireTime: now, renewTime: now, leaseDurationSeconds: 300},
    }
    const applied = await runKubectl(['--context', 'mygate-local-aa-west', 'apply', '-f', '-'], {kubeconfig: `${local.home}/kubeconfig/aa.yaml`, input: JSON.stringify(lease)})
    expect(applied.exitCode, applied.stderr).toBe(0)
    await fault('--env', 'aa', '--region-down', 'east')
    try {
      const refused = await local.cli(['failover', 'watch', '--env', 'aa', '--once', '--interval', '1s', '--threshold', '2', '--json'], {timeoutMs: 120_000})
      expect(refused.exitCode, refused.stderr).toBe(11)
      const result = parseEnvelope<{result: {verdict: string; actions: Array<{region: string; outcome: string; alert?: {why: string}}>}}>(refused.stdout).result
      expect(result.verdict).toBe('needs-human')
      expect(result.actions).toHaveLength(1)
      expect(result.actions[0]).toMatchObject({region: 'east', outcome: 'needs-human'})
      expect(result.actions[0].alert?.why).toMatch(/^not acting: .*alice@ops-laptop:4242/)
      expect(await history('aa')).toEqual([])
      await kubectl('aa', 'west', 'delete', 'lease', 'mygate-environment-lock', '-n', 'mygate-system')

      const handled = await local.cli(['failover', 'watch', '--env', 'aa', '--once', '--interval', '1s', '--threshold', '2', '--json'], {timeoutMs: 180_000})
      expect(handled.exitCode, handled.stderr).toBe(10)
      const acted = parseEnvelope<{result: {verdict: string; actions: Array<{region: string; outcome: string; runId: string}>}}>(handled.stdout).result
      expect(acted.verdict).toBe('handled')
      expect(acted.actions).toEqual([{region: 'east', outcome: 'handled', runId: expect.stringMatching(/^fo-/)}])
      expect(handled.stderr).toContain('east LOST after 2 failed probes in a row')

      // The run is in the history like a person's, run by the watch; west stays the active region.
      const runs = await history('aa')
      expect(runs).toHaveLength(1)
      expect(runs[0]).toMatchObject({id: acted.actions[0].runId, mode: 'automatic', from: 'east', to: 'west', outcome: 'succeeded', who: 'watch'})
      const described = parseEnvelope<{result: {activeRegion?: string; dns: {mode: string; regions: Array<{region: string; weight: number}>}}}>((await local.cli(['env', 'describe', 'aa', '--json'])).stdout).result
      expect(described.dns.mode).toBe('weighted')
      expect(Object.fromEntries(described.dns.regions.map((r) => [r.region, r.weight]))).toEqual({west: 100, east: 0})
      const gateway = JSON.parse(await kubectl('aa', 'west', 'get', 'deployment', 'gateway', '-n', 'mygate', '-o', 'json')) as {status: {readyReplicas?: number}}
      expect(gateway.status.readyReplicas).toBeGreaterThan(0)
    } finally {
      await fault('--env', 'aa', '--region-down', 'east', '--clear')
    }
  }, 400_000)
})
