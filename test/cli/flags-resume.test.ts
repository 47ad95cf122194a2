import {execa, type ResultPromise} from 'execa'
import {copyFileSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {CLI_BIN, parseEnvelope, runCli, type CliResult} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * A flag rollout survives SIGKILL (issue 14): the built CLI is killed at two distinct points (while
 * a step measures; between steps, after the next split was written) and `flags rollout resume`
 * carries it on from the step recorded in the cluster to the end, with the exit code of what
 * happened. The resumes run from a second $MYGATE_HOME that holds only the environment's
 * kubeconfig, as a second machine would. The cluster is read with real kubectl.
 */

const ENV = 'frk'
const REGION = 'west'

interface StoredState {
  phase: string
  stepIndex: number
  appliedPercent?: number
  lastAnalysisAt?: number
  lastVerdict?: string
}

interface FlagDef {
  defaultVariant?: string
  targeting?: {fractional?: Array<[string, number]>}
}

describe('a flag rollout killed with SIGKILL and resumed (real CLI, real kubectl)', () => {
  let local: LocalHome
  let kubeconfig: string
  /** The second machine: a home with nothing but the environment's kubeconfig. */
  let other: {home: string; cli(args: string[], timeoutMs?: number): Promise<CliResult>}

  const kubectl = (...args: string[]) => runKubectl(['--context', `mygate-local-${ENV}-${REGION}`, ...args], {kubeconfig})

  async function storedState(flag: string): Promise<StoredState | undefined> {
    const out = await kubectl('get', 'configmap', `mygate-flag-rollout-${flag}`, '-n', 'mygate-system', '-o', 'jsonpath={.data.state\\.json}')
    return out.exitCode === 0 && out.stdout !== '' ? (JSON.parse(out.stdout) as StoredState) : undefined
  }

  async function flagInCluster(flag: string): Promise<FlagDef> {
    const out = await kubectl('get', 'featureflags.core.openfeature.dev', 'mygate-flags', '-n', 'mygate', '-o', 'json')
    expect(out.exitCode, out.stderr).toBe(0)
    return (JSON.parse(out.stdout) as {spec: {flagSpec: {flags: Record<string, FlagDef>}}}).spec.flagSpec.flags[flag]
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = await probe()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  function startRollout(flag: string, args: string[]): ResultPromise {
    return execa(process.execPath, [CLI_BIN, 'flags', 'rollout', flag, '--env', ENV, ...args], {env: {...local.env, NO_COLOR: '1'}, reject: false, stdin: 'ignore'})
  }

  async function sigkill(child: ResultPromise): Promise<void> {
    child.kill('SIGKILL')
    const ended = await child
    expect(ended.signal).toBe('SIGKILL')
  }

  async function historyActions(flag: string): Promise<Array<{action: string; after?: FlagDef}>> {
    const out = await other.cli(['flags', 'history', flag, '--env', ENV, '--json', '--limit', '200'])
    expect(out.exitCode, out.stderr).toBe(0)
    return parseEnvelope<{result: {entries: Array<{flag: string; action: string; after?: FlagDef}>}}>(out.stdout).result.entries.filter((e) => e.flag === flag)
  }

  beforeAll(async () => {
    local = createLocalHome()
    const created = await local.cli(['env', 'create', ENV, '--region', REGION])
    if (created.exitCode !== 0) throw new Error(`env create failed (${created.exitCode}): ${created.stderr}`)
    kubeconfig = join(local.home, 'kubeconfig', `${ENV}.yaml`)
    const home = mkdtempSync(join(tmpdir(), 'mygate-test-second-machine-'))
    mkdirSync(join(home, 'kubeconfig'))
    copyFileSync(kubeconfig, join(home, 'kubeconfig', `${ENV}.yaml`))
    other = {home, cli: (args, timeoutMs) => runCli(args, {env: {...local.env, MYGATE_HOME: home}, timeoutMs})}
  }, 120_000)
  afterAll(async () => {
    await local?.cleanup()
    if (other) rmSync(other.home, {recursive: true, force: true})
  })

  test('killed while its first step measures: resumed from another home, it carries on from that step to 100% and exits 0', async () => {
    const flag = 'amenity-waitlist'
    // Splits of at least half: the analysis needs 20 on-variant requests in its 2 s window, and
    // amenities' flag path gets about 29 per second (a 10% split would stay inconclusive).
    const child = startRollout(flag, ['--steps', '50,75,100', '--pause', '2s', '--analysis-interval', '300ms'])
    // Mid-step: the split of step 1 is written and at least one measurement is recorded.
    await waitFor('a measurement at 50%', async () => {
      const state = await storedState(flag)
      return state?.appliedPercent === 50 && state.lastAnalysisAt !== undefined ? state : undefined
    })
    await sigkill(child)
    const killed = await storedState(flag)
    expect(killed).toMatchObject({phase: 'progressing', stepIndex: 0, appliedPercent: 50})
    expect((await flagInCluster(flag)).targeting?.fractional).toEqual([['on', 50], ['off', 50]])

    // status from the second machine reads the same record (exit 0: nothing failed).
    const status = await other.cli(['flags', 'rollout', 'status', flag, '--env', ENV, '--json'])
    expect(status.exitCode, status.stderr).toBe(0)
    expect(parseEnvelope<{result: {state: StoredState}}>(status.stdout).result.state).toMatchObject({phase: 'progressing', appliedPercent: 50})

    const resumed = await other.cli(['flags', 'rollout', 'resume', flag, '--env', ENV, '--json'], 60_000)
    expect(resumed.exitCode, resumed.stderr).toBe(0)
    expect(parseEnvelope<{result: {action: string; state: StoredState}}>(resumed.stdout).result).toMatchObject({action: 'resume', state: {phase: 'succeeded', appliedPercent: 100}})
    expect(resumed.stderr).toMatch(/driving it here/)
    expect(await flagInCluster(flag)).toMatchObject({defaultVariant: 'on'})
    expect((await flagInCluster(flag)).targeting).toBeUndefined()
    // Carried on from the recorded step: 50% was written once (by the killed CLI), not started over.
    expect((await historyActions(flag)).map((e) => e.action)).toEqual(['create', 'rollout-step', 'rollout-step', 'rollout-step', 'rollout-done'])
    expect((await historyActions(flag)).filter((e) => e.action === 'rollout-step').map((e) => e.after?.targeting?.fractional?.[0])).toEqual([
      ['on', 50],
      ['on', 75],
      ['on', 100],
    ])

    // Resuming a rollout that ended reports its outcome with its exit code.
    const again = await other.cli(['flags', 'rollout', 'resume', flag, '--env', ENV])
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/^Result: SUCCESS — amenity-waitlist in frk at 100%/)
  }, 90_000)

  test('killed between steps, with a driver on another host still holding the lock: resume waits for that lock, takes over, and exits 7 when the analysis turns the flag off', async () => {
    const flag = 'upi-autopay'
    // At least half of billing's flag path (about 27 requests per second): a real sample in 2 s.
    const child = startRollout(flag, ['--steps', '50,80,100', '--pause', '1s', '--analysis-interval', '250ms'])
    // Between steps: step 1 passed and the split of step 2 reached the cluster.
    await waitFor('the split of step 2', async () => ((await flagInCluster(flag)).targeting?.fractional?.[0]?.[1] === 80 ? true : undefined))
    await sigkill(child)
    const killed = await storedState(flag)
    expect(killed?.phase).toBe('progressing')
    expect(killed?.appliedPercent === 50 || killed?.appliedPercent === 80).toBe(true)

    // The on-variant now fails: the resumed rollout must turn the flag off and say so with exit 7.
    const fault = await local.cli(['local', 'fault', '--env', ENV, '--flag', flag, '--error-rate', '0.3'])
    expect(fault.exitCode, fault.stderr).toBe(0)

    // As if the killed CLI had run on another machine: its lock names a host this one cannot check,
    // live for 4 s more. A resume must neither take it over early nor wait for it forever.
    const lease = await kubectl('get', 'lease', `mygate-flag-${flag}`, '-n', 'mygate-system', '-o', 'json')
    expect(lease.exitCode, lease.stderr).toBe(0)
    const object = JSON.parse(lease.stdout) as {spec: Record<string, unknown>}
    const renewedAt = Date.now()
    const renewTime = new Date(renewedAt).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
    object.spec = {...object.spec, holderIdentity: 'ci@runner-elsewhere (pid 1)', renewTime, leaseDurationSeconds: 4}
    const written = await runKubectl(['--context', `mygate-local-${ENV}-${REGION}`, 'replace', '-f', '-'], {kubeconfig, input: JSON.stringify(object)})
    expect(written.exitCode, written.stderr).toBe(0)

    const resumed = await other.cli(['flags', 'rollout', 'resume', flag, '--env', ENV], 60_000)
    expect(resumed.exitCode, resumed.stderr).toBe(7)
    // Not before the foreign lock expired.
    expect(Date.now()).toBeGreaterThanOrEqual(renewedAt + 4000)
    expect(resumed.stderr).toMatch(/ci@runner-elsewhere \(pid 1\) drives the rollout/)
    expect(resumed.stderr).toMatch(/driving it here/)
    expect(resumed.stderr).toMatch(/^Error: flag upi-autopay turned off in frk: error rate 0\.\d+ > 0\.001 for billing upi-autopay=on/m)
    expect(await flagInCluster(flag)).toMatchObject({defaultVariant: 'off'})
    expect((await flagInCluster(flag)).targeting).toBeUndefined()
    expect(await storedState(flag)).toMatchObject({phase: 'turnedOff', appliedPercent: 0})
    // Never started over: no second write of 50%.
    const steps = (await historyActions(flag)).filter((e) => e.action === 'rollout-step').map((e) => e.after?.targeting?.fractional?.[0]?.[1])
    expect(steps[0]).toBe(50)
    expect(steps.filter((p) => p === 50)).toHaveLength(1)
    expect((await historyActions(flag)).at(-1)?.action).toBe('rollout-off')

    // The ended rollout keeps telling what happened: resume exits 7 again, status reads it with 0.
    const again = await other.cli(['flags', 'rollout', 'resume', flag, '--env', ENV])
    expect(again.exitCode).toBe(7)
    expect(again.stderr).toMatch(/^Error: flag upi-autopay turned off in frk/m)
    const status = await other.cli(['flags', 'rollout', 'status', flag, '--env', ENV])
    expect(status.exitCode, status.stderr).toBe(0)
    expect(status.stdout).toMatch(/^Result: TURNED OFF — upi-autopay in frk at 0%/)
    await local.cli(['local', 'fault', '--env', ENV, '--flag', flag, '--clear'])
  }, 90_000)

  test('killed, then `flags kill` with no driver alive: the flag is off, the rollout is recorded aborted, and a new rollout may start', async () => {
    const flag = 'gate-qr-checkin'
    const child = startRollout(flag, ['--steps', '10,100', '--pause', '1m', '--analysis-interval', '300ms'])
    await waitFor('the split of step 1', async () => ((await storedState(flag))?.appliedPercent === 10 ? true : undefined))
    await sigkill(child)

    const kill = await other.cli(['flags', 'kill', flag, '--env', ENV, '--reason', 'driver gone'])
    expect(kill.exitCode, kill.stderr).toBe(0)
    expect(await flagInCluster(flag)).toMatchObject({defaultVariant: 'off'})
    expect((await flagInCluster(flag)).targeting).toBeUndefined()
    expect(await storedState(flag)).toMatchObject({phase: 'aborted', appliedPercent: 0})

    const again = await other.cli(['flags', 'rollout', flag, '--env', ENV, '--steps', '100', '--pause', '0s', '--analysis-interval', '250ms', '--json'], 60_000)
    expect(again.exitCode, again.stderr).toBe(0)
    expect(parseEnvelope<{result: {state: StoredState}}>(again.stdout).result.state).toMatchObject({phase: 'succeeded', appliedPercent: 100})
  }, 90_000)
})
