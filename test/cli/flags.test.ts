import {execa} from 'execa'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {CLI_BIN, expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * Feature flags end to end on a two-region local environment: the built CLI as a subprocess, the
 * clusters read back with real kubectl. One environment for the whole file (CI budget).
 */

interface FlagDef {
  state: string
  defaultVariant?: string
  targeting?: unknown
  variants: Record<string, unknown>
}

const ENV = 'ffdemo'
const REGIONS = ['west', 'east']

describe('mygate flags (real CLI, real kubectl, two regions)', () => {
  let local: LocalHome
  let kubeconfig: string
  const context = (region: string) => `mygate-local-${ENV}-${region}`

  async function flagsIn(region: string): Promise<Record<string, FlagDef>> {
    const out = await runKubectl(['--context', context(region), 'get', 'featureflags.core.openfeature.dev', 'mygate-flags', '-n', 'mygate', '-o', 'json'], {kubeconfig})
    expect(out.exitCode, out.stderr).toBe(0)
    return (JSON.parse(out.stdout) as {spec: {flagSpec: {flags: Record<string, FlagDef>}}}).spec.flagSpec.flags
  }

  beforeAll(async () => {
    local = createLocalHome()
    const created = await local.cli(['env', 'create', ENV, '--region', REGIONS[0], '--secondary-region', REGIONS[1]])
    if (created.exitCode !== 0) throw new Error(`env create failed (${created.exitCode}): ${created.stderr}`)
    kubeconfig = join(local.home, 'kubeconfig', `${ENV}.yaml`)
  }, 180_000)
  afterAll(async () => {
    await local.cleanup()
  })

  test('env create serves the bundled flags, all off, the same in both regions, through flagd\'s Kubernetes sync', async () => {
    const [west, east] = await Promise.all(REGIONS.map(flagsIn))
    expect(west).toEqual(east)
    expect(Object.keys(west)).toEqual(expect.arrayContaining(['visitor-preapproval-v2', 'upi-autopay']))
    for (const flag of Object.values(west)) expect(flag.defaultVariant).toBe('off')
    const deployment = JSON.parse((await runKubectl(['--context', context('east'), 'get', 'deployment', 'flagd', '-n', 'mygate', '-o', 'json'], {kubeconfig})).stdout) as {
      spec: {template: {spec: {containers: Array<{args: string[]}>; serviceAccountName: string}}}
    }
    expect(deployment.spec.template.spec.containers[0].args).toEqual(['start', '--uri', 'core.openfeature.dev/mygate/mygate-flags'])
    // flagd's Kubernetes sync may read and watch FeatureFlags of its namespace, through its own ServiceAccount.
    const binding = JSON.parse((await runKubectl(['--context', context('west'), 'get', 'rolebinding', 'flagd-kubernetes-sync', '-n', 'mygate', '-o', 'json'], {kubeconfig})).stdout) as {
      roleRef: {name: string}
      subjects: Array<{name: string}>
    }
    expect(binding.subjects.map((s) => s.name)).toEqual([deployment.spec.template.spec.serviceAccountName])
    const role = JSON.parse((await runKubectl(['--context', context('west'), 'get', 'role', binding.roleRef.name, '-n', 'mygate', '-o', 'json'], {kubeconfig})).stdout) as {
      rules: Array<{apiGroups: string[]; resources: string[]; verbs: string[]}>
    }
    expect(role.rules).toEqual([{apiGroups: ['core.openfeature.dev'], resources: ['featureflags'], verbs: ['get', 'list', 'watch']}])
  })

  test('bad input is one line, non-zero, and leaves the flags unchanged', async () => {
    const before = await flagsIn('west')
    const file = join(local.home, 'bad.yaml')
    writeFileSync(file, 'flags:\n  upi-autopay:\n    state: ON\n    variants: {on: true, off: false}\n    defaultVariant: "off"\n')
    const schema = await local.cli(['flags', 'set', '--env', ENV, '--file', file])
    expect(schema.exitCode).toBe(2)
    expect(expectOneLineError(schema)).toMatch(/flags\.upi-autopay\.state must be one of "ENABLED", "DISABLED"/)

    writeFileSync(file, 'flags:\n  upi-autopay:\n    state: ENABLED\n    variants: {on: true, off: false}\n    defaultVariant: "off"\n    targeting: {fractional: [["enabled", 50], ["off", 50]]}\n')
    const variant = await local.cli(['flags', 'set', '--env', ENV, '--file', file])
    expect(variant.exitCode).toBe(2)
    expect(expectOneLineError(variant)).toMatch(/flags\.upi-autopay\.targeting\.fractional\[0\]\[0\] names unknown variant "enabled"/)

    const unknownFlag = await local.cli(['flags', 'enable', 'no-such-flag', '--env', ENV])
    expect(unknownFlag.exitCode).toBe(3)
    expect(expectOneLineError(unknownFlag)).toMatch(/flag "no-such-flag" not found in ffdemo/)

    const unknownEnv = await local.cli(['flags', 'list', '--env', 'nowhere'])
    expect(unknownEnv.exitCode).toBe(3)
    expect(expectOneLineError(unknownEnv)).toMatch(/environment "nowhere" not found/)

    const steps = await local.cli(['flags', 'rollout', 'upi-autopay', '--env', ENV, '--steps', '50,10'])
    expect(steps.exitCode).toBe(2)
    expect(expectOneLineError(steps)).toMatch(/--steps "50,10" is not increasing/)

    expect(await flagsIn('west')).toEqual(before)
    expect(await flagsIn('east')).toEqual(before)
  })

  test('a flag rolled out 50 -> 100% with passing analysis ends on in both regions', async () => {
    // The analysis needs 20 requests of the on-variant in its 2 s window (the descriptors' default
    // minRequests): amenities' flag path gets about 29 requests per second, so a 1% split (0.6
    // requests in the window) would rightly stay inconclusive; half of it is a real sample.
    const run = await local.cli(['flags', 'rollout', 'amenity-waitlist', '--env', ENV, '--steps', '50,100', '--pause', '1s', '--analysis-interval', '500ms', '--json'], {timeoutMs: 60_000})
    expect(run.exitCode, run.stderr).toBe(0)
    const result = parseEnvelope<{result: {state: {phase: string; appliedPercent: number}}}>(run.stdout).result
    expect(result.state).toMatchObject({phase: 'succeeded', appliedPercent: 100})
    expect(run.stderr).toMatch(/amenity-waitlist at 50%: pass/)
    expect(run.stderr).toMatch(/amenity-waitlist at 100%: pass/)
    for (const region of REGIONS) {
      const flag = (await flagsIn(region))['amenity-waitlist']
      expect(flag.defaultVariant).toBe('on')
      expect(flag.targeting).toBeUndefined()
    }
  })

  test('a flag whose on-variant fails is turned off by the analysis, with the reason and exit 7', async () => {
    const fault = await local.cli(['local', 'fault', '--env', ENV, '--flag', 'upi-autopay', '--error-rate', '0.3'])
    expect(fault.exitCode, fault.stderr).toBe(0)
    const run = await local.cli(['flags', 'rollout', 'upi-autopay', '--env', ENV, '--steps', '20,100', '--pause', '5s', '--analysis-interval', '500ms'], {timeoutMs: 60_000})
    expect(run.exitCode, run.stderr).toBe(7)
    expect(run.stderr).toMatch(/^Error: flag upi-autopay turned off in ffdemo: error rate 0\.\d+ > 0\.001 for billing upi-autopay=on/m)
    for (const region of REGIONS) {
      const flag = (await flagsIn(region))['upi-autopay']
      expect(flag.defaultVariant).toBe('off')
      expect(flag.targeting).toBeUndefined()
    }
    const status = parseEnvelope<{result: {state: {phase: string; failure: {metric: string; service: string; threshold: number}}}}>(
      (await local.cli(['flags', 'rollout', 'status', 'upi-autopay', '--env', ENV, '--json'])).stdout,
    ).result.state
    expect(status.phase).toBe('turnedOff')
    expect(status.failure).toMatchObject({metric: 'error-rate', service: 'billing', threshold: 0.001})
    await local.cli(['local', 'fault', '--env', ENV, '--flag', 'upi-autopay', '--clear'])
  })

  test('a second rollout of a flag rolling out is refused; a rollout over a service being deployed is refused naming the holder; kill always goes through', async () => {
    const first = execa(process.execPath, [CLI_BIN, 'flags', 'rollout', 'visitor-preapproval-v2', '--env', ENV, '--steps', '10,100', '--pause', '2m', '--analysis-interval', '500ms'], {
      env: {...local.env, NO_COLOR: '1'},
      reject: false,
      stdin: 'ignore',
    })
    // Wait until the first rollout has written its split.
    for (let i = 0; i < 100; i++) {
      if ((await flagsIn('west'))['visitor-preapproval-v2'].targeting !== undefined) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const second = await local.cli(['flags', 'rollout', 'visitor-preapproval-v2', '--env', ENV, '--steps', '10,100'])
    expect(second.exitCode).toBe(6)
    expect(expectOneLineError(second)).toMatch(/flag visitor-preapproval-v2 is already rolling out in ffdemo/)

    // gate-qr-checkin is evaluated by visitors too: a second flag rollout over visitors is refused by the lock rule.
    const shared = await local.cli(['flags', 'rollout', 'gate-qr-checkin', '--env', ENV, '--steps', '10,100'])
    expect(shared.exitCode).toBe(6)
    expect(expectOneLineError(shared)).toMatch(/refusing a rollout of flag gate-qr-checkin \(visitors, gateway\) in ffdemo: a rollout of flag visitor-preapproval-v2 \(visitors\) is running, held by /)

    const kill = await local.cli(['flags', 'kill', 'visitor-preapproval-v2', '--env', ENV, '--reason', 'test'])
    expect(kill.exitCode, kill.stderr).toBe(0)
    const ended = await first
    expect(ended.exitCode, String(ended.stderr)).toBe(0)
    for (const region of REGIONS) expect((await flagsIn(region))['visitor-preapproval-v2']).toMatchObject({defaultVariant: 'off'})

    // A live deploy lease of billing (as `mygate deploy` holds it) refuses a flag rollout over billing.
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'mygate-deploy-billing',
        namespace: 'mygate-system',
        labels: {'mygate.dev/lock': 'service', 'mygate.dev/rollout-service': 'billing'},
        annotations: {'mygate.dev/lock-scope': JSON.stringify({kind: 'service', service: 'billing', operation: 'deploy'})},
      },
      spec: {holderIdentity: 'ci@runner-7 (pid 1)', acquireTime: now, renewTime: now, leaseDurationSeconds: 300},
    }
    const applied = await runKubectl(['--context', context('west'), 'apply', '-f', '-'], {kubeconfig, input: JSON.stringify(lease)})
    expect(applied.exitCode, applied.stderr).toBe(0)
    const refused = await local.cli(['flags', 'rollout', 'upi-autopay', '--env', ENV, '--steps', '10,100'])
    expect(refused.exitCode).toBe(6)
    expect(expectOneLineError(refused)).toMatch(/refusing a rollout of flag upi-autopay \(billing\) in ffdemo: a deploy of billing is running, held by ci@runner-7 \(pid 1\)/)
    await runKubectl(['--context', context('west'), 'delete', 'lease', 'mygate-deploy-billing', '-n', 'mygate-system'], {kubeconfig})
  }, 60_000)

  test('flags history lists every change with who, commit, before and after', async () => {
    const history = parseEnvelope<{result: {entries: Array<{flag: string; action: string; user: string; before?: FlagDef; after?: FlagDef; reason?: string}>}}>(
      (await local.cli(['flags', 'history', '--env', ENV, '--json', '--limit', '200'])).stdout,
    ).result.entries
    const actions = (flag: string) => history.filter((e) => e.flag === flag).map((e) => e.action)
    expect(actions('amenity-waitlist')).toEqual(['create', 'rollout-step', 'rollout-step', 'rollout-done'])
    expect(actions('upi-autopay')).toEqual(['create', 'rollout-step', 'rollout-off'])
    const off = history.find((e) => e.flag === 'upi-autopay' && e.action === 'rollout-off')
    expect(off?.before?.targeting).toEqual({fractional: [['on', 20], ['off', 80]]})
    expect(off?.after?.defaultVariant).toBe('off')
    expect(off?.reason).toMatch(/error rate .+ > 0\.001/)
    const kill = history.find((e) => e.flag === 'visitor-preapproval-v2' && e.action === 'kill')
    expect(kill).toMatchObject({reason: 'test', after: {defaultVariant: 'off'}})
    expect(kill?.user).not.toBe('')
    const human = await local.cli(['flags', 'history', 'upi-autopay', '--env', ENV])
    expect(human.stdout).toMatch(/upi-autopay\s+rollout-off\s+split 20% on -> off/)
  })
})
