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

  test('a healthy new colour passes pre- and post-switch analysis and takes the traffic', async () => {
    const run = await local.cli(['deploy', 'billing', '--env', 'bg', '--version', '4.2.0', ...FAST])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/analysis at 0%: pass/)
    expect(run.stderr).toMatch(/switched: Service billing now selects green \(4\.2\.0\)/)
    expect(await activeColor()).toBe('green')
    expect(await imageOf('billing-green')).toBe('registry.mygate.dev/mygate/billing:4.2.0')
  })

  test('a failing new colour is stopped by the pre-switch analysis: traffic never leaves the old colour', async () => {
    expect((await local.cli(['local', 'fault', '--env', 'bg', '--service', 'billing', '--version', '4.3.0', '--error-rate', '0.2'])).exitCode).toBe(0)
    const run = await local.cli(['deploy', 'billing', '--env', 'bg', '--version', '4.3.0', ...FAST])
    expect(run.exitCode, run.stderr).toBe(7)
    expect(run.stderr).toMatch(/analysis at 0%: fail/)
    expect(run.stderr).not.toMatch(/switched: Service billing now selects/)
    expect(run.stderr).toMatch(/Result: ROLLED BACK — billing 4\.2\.0 serves all traffic; error rate 0\.\d+ > 0\.001 for billing 4\.3\.0/)
    expect(await activeColor()).toBe('green')
  })
})
