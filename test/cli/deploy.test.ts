import {execa} from 'execa'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {CLI_BIN, parseEnvelope} from '../helpers/cli.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'
import {runKubectl} from '../helpers/kubectl.js'
import type {DeployResult} from '../../src/deploy/deploy.js'

/**
 * `mygate deploy` and `mygate rollout ...` end to end: the built CLI as a subprocess against the
 * local control plane, verified with real kubectl. Short durations: --pause 1s, --analysis-interval 1s.
 */

const FAST = ['--pause', '1s', '--analysis-interval', '1s', '--timeout', '30s']

interface DeploymentJson {
  metadata: {name: string}
  spec: {replicas: number; template: {spec: {containers: Array<{image: string}>}; metadata: {labels: Record<string, string>}}}
  status: {readyReplicas?: number}
}

describe('mygate deploy on the local control plane', () => {
  let local: LocalHome
  let kubeconfig: string

  const kubectl = async (args: string[]) => {
    const result = await runKubectl(['-n', 'mygate', ...args], {kubeconfig})
    expect(result.exitCode, result.stderr).toBe(0)
    return result.stdout
  }
  const deployment = async (name: string) => JSON.parse(await kubectl(['get', 'deployment', name, '-o', 'json'])) as DeploymentJson
  const runningImage = async (name: string) => (await deployment(name)).spec.template.spec.containers[0].image
  const runningVersion = async (name: string) => (await runningImage(name)).split(':').at(-1)!
  const fault = async (service: string, version: string, ...what: string[]) => {
    const result = await local.cli(['local', 'fault', '--env', 'demo', '--service', service, '--version', version, ...what])
    expect(result.exitCode, result.stderr).toBe(0)
  }

  beforeAll(async () => {
    local = createLocalHome()
    const created = await local.cli(['env', 'create', 'demo', '--json'], {timeoutMs: 120_000})
    expect(created.exitCode, created.stderr).toBe(0)
    kubeconfig = join(local.home, 'kubeconfig', 'demo.yaml')
  }, 180_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  describe('bad input: one line, non-zero exit, running version untouched', () => {
    // [case, args, one-line message, exit code]; the service whose running image must not change is args[1] (deploy) or args[2] (rollout).
    const cases: Array<[string, string[], RegExp, number]> = [
      ['unknown service', ['deploy', 'nosuch', '--env', 'demo', '--version', '1.0.0'], /unknown service "nosuch"/, 3],
      ['unknown environment', ['deploy', 'visitors', '--env', 'nowhere', '--version', '1.0.0'], /environment "nowhere" not found/, 3],
      ['version that is not an image tag', ['deploy', 'visitors', '--env', 'demo', '--version', 'v1/2'], /--version "v1\/2" is not a valid image tag/, 2],
      ['steps not increasing', ['deploy', 'visitors', '--env', 'demo', '--version', '1.0.0', '--canary', '--steps', '50,10'], /steps must increase \(10 after 50\)/, 2],
      ['steps outside 1..100', ['deploy', 'visitors', '--env', 'demo', '--version', '1.0.0', '--canary', '--steps', '0,50'], /0 is outside 1\.\.100/, 2],
      ['--canary with --blue-green', ['deploy', 'visitors', '--env', 'demo', '--version', '1.0.0', '--canary', '--blue-green'], /--canary cannot be combined with --blue-green/, 2],
      ['--pause not a duration', ['deploy', 'visitors', '--env', 'demo', '--version', '1.0.0', '--canary', '--pause', 'soon'], /--pause "soon" is not a duration/, 2],
      ['promote with no rollout in progress', ['rollout', 'promote', 'auth', '--env', 'demo'], /no rollout of auth is in progress in demo/, 2],
      ['abort with no rollout in progress', ['rollout', 'abort', 'auth', '--env', 'demo'], /no rollout of auth is in progress in demo/, 2],
      ['undo with no previous revision', ['rollout', 'undo', 'auth', '--env', 'demo'], /auth has no previous revision in demo/, 2],
    ]
    test.each(cases)('%s', async (_name, args, message, exitCode) => {
      const watched = args[0] === 'rollout' ? args[2] : args[1] === 'nosuch' ? 'visitors' : args[1]
      const before = await runningImage(watched)
      const result = await local.cli(args)
      expect(result.exitCode, result.stderr).toBe(exitCode)
      const lines = result.stderr.trimEnd().split('\n')
      expect(lines, result.stderr).toHaveLength(1)
      expect(lines[0]).toMatch(message)
      expect(result.stdout).toBe('')
      expect(await runningImage(watched)).toBe(before)
    })
  })

  test('a good canary is promoted through every step', async () => {
    const result = await local.cli(['deploy', 'visitors', '--env', 'demo', '--version', '3.5.0', '--canary', '--steps', '25,50,100', ...FAST, '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const deployed = parseEnvelope<{ok: boolean; result: DeployResult}>(result.stdout).result
    const visitors = deployed.services[0]
    expect(visitors).toMatchObject({service: 'visitors', from: '3.4.0', to: '3.5.0', strategy: 'canary', phase: 'Succeeded', outcome: 'succeeded', weight: 100})
    expect(visitors.steps).toEqual([
      'set weight 25%', 'pause 1s', 'analysis', 'set weight 50%', 'pause 1s', 'analysis', 'set weight 100%', 'pause 1s', 'analysis',
      'promote: stable takes the new version, canary scaled to 0',
    ])
    expect(visitors.currentStep).toBe(10)
    expect(visitors.analysis.filter((run) => run.verdict === 'pass')).toHaveLength(3)
    expect(visitors.analysis[0].measurements.map((m) => m.metric)).toEqual(['error-rate', 'p99-latency'])
    // Progress in named phases on stderr, never in the JSON.
    expect(result.stderr).toMatch(/weight 25%: 1 stable \/ 1 canary replicas/)
    expect(result.stderr).toMatch(/✔ error rate [\d.]+ <= 0\.01 for visitors 3\.5\.0/)
    expect(await runningImage('visitors')).toBe('registry.mygate.dev/mygate/visitors:3.5.0')
    expect((await deployment('visitors-canary')).spec.replicas).toBe(0)
    const status = await local.cli(['rollout', 'status', 'visitors', '--env', 'demo'])
    expect(status.exitCode, status.stderr).toBe(0)
    expect(status.stdout).toMatch(/phase: +Succeeded/)
    expect(status.stdout).toMatch(/step: +10\/10 \(all done\)/)
    // Converging the environment afterwards keeps the released version.
    const converge = await local.cli(['env', 'create', 'demo'])
    expect(converge.exitCode, converge.stderr).toBe(0)
    expect(await runningImage('visitors')).toBe('registry.mygate.dev/mygate/visitors:3.5.0')
  })

  test('rollout status answers the same through its fast path as through oclif', async () => {
    // Its own rollout to report on (maintenance is deployed by no other test).
    const deployed = await local.cli(['deploy', 'maintenance', '--env', 'demo', '--version', '6.0.1', '--rolling', '--timeout', '30s'])
    expect(deployed.exitCode, deployed.stderr).toBe(0)
    const fast = await local.cli(['rollout', 'status', 'maintenance', '--env', 'demo'])
    const full = await local.cli(['rollout', 'status', 'maintenance', '--env', 'demo', '--verbose'])
    expect(fast.exitCode, fast.stderr).toBe(0)
    expect(fast.stdout).toMatch(/phase: +Succeeded/)
    expect(fast.stdout).toBe(full.stdout)
    const fastJson = await local.cli(['rollout', 'status', 'maintenance', '--env', 'demo', '--json'])
    const fullJson = await local.cli(['rollout', 'status', 'maintenance', '--env', 'demo', '--json', '--verbose'])
    expect(parseEnvelope(fastJson.stdout)).toEqual(parseEnvelope(fullJson.stdout))
    const missing = await local.cli(['rollout', 'status', 'maintenance', '--env', 'nowhere'])
    const missingFull = await local.cli(['rollout', 'status', 'maintenance', '--env', 'nowhere', '--verbose'])
    expect(missing.exitCode).toBe(3)
    expect(missingFull.exitCode).toBe(3)
    expect(missing.stderr.trim()).toBe(missingFull.stderr.split('\n')[0].trim())
  })

  test('a canary with an injected 50% error rate is rolled back automatically: exit 7, stable serves 100%', async () => {
    // Stable is whatever runs now: 3.4.0 as created, or 3.5.0 once the good canary above ran.
    const stable = await runningVersion('visitors')
    await fault('visitors', '3.6.0', '--error-rate', '0.5')
    const started = Date.now()
    const result = await local.cli(['deploy', 'visitors', '--env', 'demo', '--version', '3.6.0', '--canary', '--steps', '25,50,100', ...FAST])
    expect(result.exitCode, result.stderr).toBe(7)
    const lines = result.stderr.trimEnd().split('\n')
    expect(lines.at(-2)).toMatch(new RegExp(`^Result: ROLLED BACK — visitors ${stable.replaceAll('.', '\\.')} serves all traffic`))
    expect(lines.at(-1)).toMatch(/^Error: visitors rolled back: error rate 0\.\d+ > 0\.01 for visitors 3\.6\.0 \(2 of 2 allowed failures\)/)
    // Never got past the first weight: the failing analysis at 25% rolled it back.
    expect(result.stderr).not.toMatch(/weight 50%/)
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(await runningImage('visitors')).toBe(`registry.mygate.dev/mygate/visitors:${stable}`)
    const canary = await deployment('visitors-canary')
    expect(canary.spec.replicas).toBe(0)
    expect((await deployment('visitors')).spec.replicas).toBe(1)
    const status = await local.cli(['rollout', 'status', 'visitors', '--env', 'demo', '--json'])
    const state = parseEnvelope<{result: {state: {phase: string; currentWeight: number; rollback: {cause: string}}}}>(status.stdout).result.state
    expect(state).toMatchObject({phase: 'RolledBack', currentWeight: 0, rollback: {cause: 'analysis'}})
  })

  test('a crash-looping canary is rolled back', async () => {
    const stable = await runningImage('visitors')
    await fault('visitors', '3.7.0', '--crash')
    const result = await local.cli(['deploy', 'visitors', '--env', 'demo', '--version', '3.7.0', '--canary', ...FAST])
    expect(result.exitCode, result.stderr).toBe(7)
    expect(result.stderr).toMatch(/CrashLoopBackOff/)
    expect(await runningImage('visitors')).toBe(stable)
    expect((await deployment('visitors-canary')).spec.replicas).toBe(0)
  })

  test('blue-green: preview Service on the new colour, atomic switch, instant undo; history records it', async () => {
    const result = await local.cli(['deploy', 'billing', '--env', 'demo', '--version', '4.2.0', '--blue-green', '--no-analysis', '--scale-down-delay', '60s', '--no-wait'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^Result: PAUSED — billing at step 3\/3/m)
    const selector = async (name: string) => JSON.parse(await kubectl(['get', 'service', name, '-o', 'jsonpath={.spec.selector}'])) as Record<string, string>
    expect(await selector('billing')).toEqual({'app.kubernetes.io/name': 'billing', 'mygate.dev/color': 'green'})
    expect(await selector('billing-preview')).toEqual({'app.kubernetes.io/name': 'billing', 'mygate.dev/color': 'green'})
    expect((await deployment('billing-green')).spec.template.spec.containers[0].image).toBe('registry.mygate.dev/mygate/billing:4.2.0')
    // The old colour still runs during the scale-down delay: undo is a selector switch.
    const blue = await deployment('billing-blue')
    expect(blue.spec.template.spec.containers[0].image).toBe('registry.mygate.dev/mygate/billing:4.1.2')
    expect(blue.status.readyReplicas).toBe(1)

    // Instant = no pod has to start: the blue pods that serve after the undo are the ones that ran before it.
    const bluePods = async () => (await kubectl(['get', 'pods', '-l', 'app.kubernetes.io/name=billing,mygate.dev/color=blue', '-o', 'jsonpath={.items[*].metadata.uid}'])).split(' ').sort()
    const before = await bluePods()
    const undo = await local.cli(['rollout', 'undo', 'billing', '--env', 'demo'])
    expect(undo.exitCode, undo.stderr).toBe(0)
    expect(undo.stdout).toMatch(/^Result: ROLLED BACK/m)
    expect(await selector('billing')).toEqual({'app.kubernetes.io/name': 'billing', 'mygate.dev/color': 'blue'})
    expect((await deployment('billing-green')).spec.replicas).toBe(0)
    expect(before).toHaveLength(1)
    expect(await bluePods()).toEqual(before)

    const history = await local.cli(['rollout', 'history', 'billing', '--env', 'demo', '--json'])
    const entries = parseEnvelope<{result: {entries: Array<{outcome: string; fromVersion: string; toVersion: string; strategy: string; user: string; git?: {commit: string}}>}}>(history.stdout).result.entries
    expect(entries.at(-1)).toMatchObject({outcome: 'undone', fromVersion: '4.1.2', toVersion: '4.2.0', strategy: 'blue-green'})
    expect(entries.at(-1)?.git?.commit).toMatch(/^[0-9a-f]{40}$/)
  })

  test('a concurrent deploy is refused naming the holder; a deploy killed mid-way is resumed', async () => {
    const first = execa(process.execPath, [CLI_BIN, 'deploy', 'amenities', '--env', 'demo', '--version', '5.0.0', '--canary', '--steps', '50,100', '--pause', '4s', '--analysis-interval', '1s', '--timeout', '30s'], {
      env: {...local.env, NO_COLOR: '1'},
      reject: false,
      stdin: 'ignore',
    })
    // Wait until it pauses at 50%, then try a second deploy of the same service.
    let stderr = ''
    first.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const deadline = Date.now() + 30_000
    while (!/pausing 4s at 50%/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(stderr).toMatch(/pausing 4s at 50%/)

    const second = await local.cli(['deploy', 'amenities', '--env', 'demo', '--version', '5.0.1', '--canary', ...FAST])
    expect(second.exitCode, second.stderr).toBe(6)
    expect(second.stderr.trimEnd().split('\n')).toHaveLength(1)
    // The holding age is formatted as it comes: "717ms" once the second CLI starts quickly, "2.1s" otherwise.
    expect(second.stderr).toMatch(/amenities in demo is being deployed by \S+@\S+ \(pid \d+\) \(for [\d.]+m?s\); refusing a second deploy/)

    first.kill('SIGKILL')
    await first
    const status = await local.cli(['rollout', 'status', 'amenities', '--env', 'demo'])
    expect(status.stdout).toMatch(/phase: +Progressing/)

    const resumed = await local.cli(['rollout', 'resume', 'amenities', '--env', 'demo'])
    expect(resumed.exitCode, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/took over the deploy lease from \S+ \(pid \d+\)/)
    expect(resumed.stdout).toMatch(/^Result: SUCCESS — amenities 5\.0\.0 is live/m)
    expect(await runningImage('amenities')).toBe('registry.mygate.dev/mygate/amenities:5.0.0')
  })

  test('a release train with one failing service: the other succeeds, the summary says which', async () => {
    // Every request of the failing version fails: with a low-traffic service a first sample of a
    // few requests at 50% can hold no 5xx at all, and the analysis judges what it sees (noted:
    // the analysis has no minimum sample size yet).
    await fault('notifications', '7.0.1', '--error-rate', '1')
    const result = await local.cli(['deploy', 'users', 'notifications', '--env', 'demo', '--version', '7.0.1', '--canary', '--steps', '100', ...FAST])
    expect(result.exitCode, result.stderr).toBe(7)
    expect(result.stderr).toMatch(/Result: 1 succeeded \(users\), 1 rolled back \(notifications\)/)
    expect(await runningImage('users')).toBe('registry.mygate.dev/mygate/users:7.0.1')
    expect(await runningImage('notifications')).not.toBe('registry.mygate.dev/mygate/notifications:7.0.1')
    expect((await deployment('notifications-canary')).spec.replicas).toBe(0)
  })

  test('--dry-run prints the plan and changes nothing', async () => {
    const before = await runningImage('auth')
    const result = await local.cli(['deploy', 'auth', '--env', 'demo', '--version', '9.0.0', '--canary', '--steps', '10,100', '--pause', '1s', '--dry-run'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toContain('auth: canary')
    expect(result.stdout).toContain('1. set weight 10%')
    expect(await runningImage('auth')).toBe(before)
  })
})

// The prod-tier refusals (no approval without a terminal, a dirty git working tree) run in
// guards.test.ts, on the prod-tier environment that file creates anyway.
