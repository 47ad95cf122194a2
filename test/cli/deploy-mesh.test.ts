import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/** Canary traffic through the Istio VirtualService when the environment has the mesh. */
describe('mygate deploy --canary in an environment with the mesh', () => {
  let local: LocalHome
  let kubeconfig: string

  const routeWeights = async () => {
    const run = await runKubectl(['-n', 'mygate', 'get', 'virtualservice', 'visitors', '-o', 'jsonpath={.spec.http[0].route}'], {kubeconfig})
    expect(run.exitCode, run.stderr).toBe(0)
    const routes = JSON.parse(run.stdout) as Array<{destination: {subset: string}; weight: number}>
    return Object.fromEntries(routes.map((r) => [r.destination.subset, r.weight]))
  }

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

  test('a good canary moves VirtualService weights step by step and is promoted', async () => {
    expect(await routeWeights()).toEqual({stable: 100, canary: 0})
    const run = await local.cli(['deploy', 'visitors', '--env', 'meshy', '--version', '3.5.0', '--canary', '--steps', '30,100', '--pause', '1s', '--analysis-interval', '5s'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stderr).toContain('weight 30%: VirtualService 70/30 (stable/canary)')
    expect(run.stderr).toMatch(/analysis at 30%: pass/)
    expect(await routeWeights()).toEqual({stable: 100, canary: 0})
  })

  test('a failing canary is rolled back: all traffic on stable in the VirtualService, exit 7', async () => {
    const fault = await local.cli(['local', 'fault', '--env', 'meshy', '--service', 'visitors', '--version', '3.6.0', '--error-rate', '0.5'])
    expect(fault.exitCode, fault.stderr).toBe(0)
    const run = await local.cli(['deploy', 'visitors', '--env', 'meshy', '--version', '3.6.0', '--canary', '--steps', '30,100', '--pause', '1s', '--analysis-interval', '5s'])
    expect(run.exitCode, run.stderr).toBe(7)
    expect(run.stderr).toMatch(/error rate 0\.\d+ > 0\.01 for visitors 3\.6\.0/)
    expect(await routeWeights()).toEqual({stable: 100, canary: 0})
  })
})
