import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {runKubectl} from '../helpers/kubectl.js'
import {createLocalEnvironment, type LocalHome} from '../helpers/local-home.js'

/** Blue-green with its analysis on (billing's default strategy): the preview colour is judged before the switch. */
describe('mygate deploy, blue-green with analysis', () => {
  let local: LocalHome
  let kubeconfig: string
  const FAST = ['--analysis-interval', '5s', '--scale-down-delay', '1s', '--timeout', '60s']

  const activeColor = async () => {
    const run = await runKubectl(['-n', 'mygate', 'get', 'service', 'billing', '-o', 'jsonpath={.spec.selector.mygate\\.dev/color}'], {kubeconfig})
    expect(run.exitCode, run.stderr).toBe(0)
    return run.stdout
  }
  const imageOf = async (deployment: string) =>
    (await runKubectl(['-n', 'mygate', 'get', 'deployment', deployment, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'], {kubeconfig})).stdout

  beforeAll(async () => {
    const created = await createLocalEnvironment('bg')
    local = created.local
    kubeconfig = created.kubeconfig
  }, 120_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  /**
   * The colour the billing Service selects and the version it runs. Before the first blue-green
   * deploy the Service selects no colour and the rendered Deployment `billing` serves.
   */
  const active = async () => {
    const color = await activeColor()
    const version = (await imageOf(color === '' ? 'billing' : `billing-${color}`)).split(':').at(-1)
    return {color, version}
  }
  /** The colour a deploy brings up next: green first, then alternating. */
  const next = (color: string) => (color === 'green' ? 'blue' : 'green')

  test('a healthy new colour passes pre- and post-switch analysis and takes the traffic', async () => {
    const before = await active()
    const run = await local.cli(['deploy', 'billing', '--env', 'bg', '--version', '4.2.0', ...FAST])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/analysis at 0%: pass/)
    expect(run.stderr).toContain(`switched: Service billing now selects ${next(before.color)} (4.2.0)`)
    expect(await active()).toEqual({color: next(before.color), version: '4.2.0'})
  })

  test('a failing new colour is stopped by the pre-switch analysis: traffic never leaves the old colour', async () => {
    const before = await active()
    expect((await local.cli(['local', 'fault', '--env', 'bg', '--service', 'billing', '--version', '4.3.0', '--error-rate', '0.2'])).exitCode).toBe(0)
    const run = await local.cli(['deploy', 'billing', '--env', 'bg', '--version', '4.3.0', ...FAST])
    expect(run.exitCode, run.stderr).toBe(7)
    expect(run.stderr).toMatch(/analysis at 0%: fail/)
    expect(run.stderr).not.toMatch(/switched: Service billing now selects/)
    expect(run.stderr).toContain(`Result: ROLLED BACK — billing ${before.version} serves all traffic; error rate `)
    expect(run.stderr).toMatch(/error rate 0\.\d+ > 0\.001 for billing 4\.3\.0/)
    const after = await active()
    expect(after.version).toBe(before.version)
    expect(after.color).not.toBe(next(before.color))
  })
})
