import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {CliResult} from '../helpers/cli.js'
import {runKubectl, watchKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * Canary traffic through the Istio VirtualService when the environment has the mesh. The weights
 * are read from the cluster with real kubectl: a `kubectl get --watch` follows the VirtualService
 * for the whole deploy, so every weight the rollout wrote is seen, in order.
 */
describe('mygate deploy --canary in an environment with the mesh', () => {
  let local: LocalHome
  let kubeconfig: string

  /**
   * One line per VirtualService event: `stable=70 canary=30`. Both routes are named by index:
   * kubectl's jsonpath printer in --watch mode prints nothing for the events after the first one
   * when the template uses `{range}`.
   */
  const route = (i: number): string => `{.spec.http[0].route[${i}].destination.subset}={.spec.http[0].route[${i}].weight}`
  const ROUTES = `jsonpath=${route(0)} ${route(1)}{"\\n"}`

  /** `stable=70 canary=30` (any order) -> `70/30`. */
  const stableCanary = (line: string): string => {
    const weights = Object.fromEntries(line.trim().split(/\s+/).map((pair) => pair.split('=')))
    return `${weights.stable}/${weights.canary}`
  }

  const kubectl = async (args: string[]): Promise<string> => {
    const run = await runKubectl(['-n', 'mygate', ...args], {kubeconfig})
    expect(run.exitCode, run.stderr).toBe(0)
    return run.stdout
  }

  /** Runs `deploy` while kubectl watches the VirtualService; returns the distinct weights in order. */
  const weightsDuring = async (deploy: () => Promise<CliResult>): Promise<{result: CliResult; weights: string[]}> => {
    const watch = watchKubectl(['-n', 'mygate', 'get', 'virtualservice', 'visitors', '--watch', '-o', ROUTES], {kubeconfig})
    try {
      // The current state is on screen before the deploy starts, so no change can be missed.
      expect(await watch.waitFor(() => true), 'kubectl --watch printed the VirtualService').toBe(true)
      const result = await deploy()
      const final = stableCanary(await kubectl(['get', 'virtualservice', 'visitors', '-o', ROUTES]))
      expect(await watch.waitFor(() => stableCanary(watch.lines.at(-1)!) === final), `the watch reached ${final}`).toBe(true)
      const weights = watch.lines.map(stableCanary).filter((weight, i, all) => i === 0 || weight !== all[i - 1])
      return {result, weights}
    } finally {
      await watch.stop()
    }
  }

  const image = async (deployment: string): Promise<string> => kubectl(['get', 'deployment', deployment, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])
  const replicas = async (deployment: string): Promise<string> => kubectl(['get', 'deployment', deployment, '-o', 'jsonpath={.spec.replicas}'])

  beforeAll(async () => {
    local = createLocalHome()
    const file = join(local.home, 'mesh.yaml')
    writeFileSync(file, 'tier: dev\nregions:\n  primary: local-1\nmesh: true\n')
    const created = await local.cli(['env', 'create', 'meshy', '--file', file])
    expect(created.exitCode, created.stderr).toBe(0)
    kubeconfig = join(local.home, 'kubeconfig', 'meshy.yaml')
  }, 120_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('a good canary moves the VirtualService to 70/30, then 0/100, and back to 100/0 once promoted', async () => {
    const {result, weights} = await weightsDuring(() =>
      local.cli(['deploy', 'visitors', '--env', 'meshy', '--version', '3.5.0', '--canary', '--steps', '30,100', '--pause', '1s', '--analysis-interval', '5s']),
    )
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/analysis at 30%: pass/)
    expect(weights).toEqual(['100/0', '70/30', '0/100', '100/0'])
    // Promoted: stable serves the new version and the canary is scaled to 0.
    expect(await image('visitors')).toMatch(/:3\.5\.0$/)
    expect(await replicas('visitors-canary')).toBe('0')
  })

  test('a failing canary is rolled back at its first step: 70/30, then all traffic on stable, exit 7', async () => {
    const fault = await local.cli(['local', 'fault', '--env', 'meshy', '--service', 'visitors', '--version', '3.6.0', '--error-rate', '0.5'])
    expect(fault.exitCode, fault.stderr).toBe(0)
    const stableImage = await image('visitors')
    const {result, weights} = await weightsDuring(() =>
      local.cli(['deploy', 'visitors', '--env', 'meshy', '--version', '3.6.0', '--canary', '--steps', '30,100', '--pause', '1s', '--analysis-interval', '5s']),
    )
    expect(result.exitCode, result.stderr).toBe(7)
    expect(result.stderr).toMatch(/error rate 0\.\d+ > 0\.01 for visitors 3\.6\.0/)
    expect(weights).toEqual(['100/0', '70/30', '100/0'])
    expect(await image('visitors')).toBe(stableImage)
    expect(await replicas('visitors-canary')).toBe('0')
  })
})
