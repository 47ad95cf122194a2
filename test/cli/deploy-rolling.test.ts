import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {CLI_BIN} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalEnvironment, type LocalHome} from '../helpers/local-home.js'

/** Rolling deploys (the native Deployment update) and `rollout status --watch`, through the built CLI. */
describe('mygate deploy --rolling and rollout status --watch', () => {
  let local: LocalHome
  let kubeconfig: string

  const reports = async () => {
    const run = await runKubectl(['-n', 'mygate', 'get', 'deployment', 'reports', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.status.availableReplicas}'], {kubeconfig})
    expect(run.exitCode, run.stderr).toBe(0)
    return run.stdout
  }

  beforeAll(async () => {
    const created = await createLocalEnvironment('roll')
    local = created.local
    kubeconfig = created.kubeconfig
  }, 120_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('a rolling update is watched to completion', async () => {
    const run = await local.cli(['deploy', 'reports', '--env', 'roll', '--version', '2.9.0', '--rolling'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout + run.stderr).toContain('Result: SUCCESS — reports 2.9.0 is live (rolling')
    expect(await reports()).toBe('registry.mygate.dev/mygate/reports:2.9.0 1')
  })

  test('a rolling update whose pods crash is rolled back to the previous image, exit 7', async () => {
    // Whatever runs now (the created version, or 2.9.0 after the test above) is what must stay.
    const before = await reports()
    const running = /:(\S+) 1$/.exec(before)![1]
    expect((await local.cli(['local', 'fault', '--env', 'roll', '--service', 'reports', '--version', '3.0.0', '--crash'])).exitCode).toBe(0)
    const run = await local.cli(['deploy', 'reports', '--env', 'roll', '--version', '3.0.0', '--rolling', '--timeout', '30s'])
    expect(run.exitCode, run.stderr).toBe(7)
    expect(run.stderr).toContain(`Result: ROLLED BACK — reports ${running} serves all traffic; `)
    expect(run.stderr).toMatch(/ROLLED BACK — .*CrashLoopBackOff/)
    expect(await reports()).toBe(before)
  })

  test('rollout status --watch follows a canary from another process until it finishes', async () => {
    const deploy = execa(process.execPath, [CLI_BIN, 'deploy', 'visitors', '--env', 'roll', '--version', '3.5.0', '--canary', '--steps', '50,100', '--pause', '5s', '--analysis-interval', '5s'], {
      env: {...local.env, NO_COLOR: '1'},
      reject: false,
      stdin: 'ignore',
    })
    // Wait until the rollout record exists, then follow it.
    let watched: Awaited<ReturnType<typeof local.cli>> | undefined
    for (let i = 0; i < 50 && !watched; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300))
      const probe = await local.cli(['rollout', 'status', 'visitors', '--env', 'roll'])
      if (probe.exitCode === 0 && /phase: +Progressing/.test(probe.stdout)) watched = await local.cli(['rollout', 'status', 'visitors', '--env', 'roll', '--watch'])
    }
    const deployed = await deploy
    expect(deployed.exitCode, String(deployed.stderr)).toBe(0)
    expect(watched, 'the rollout was never seen in progress').toBeDefined()
    expect(watched!.exitCode, watched!.stderr).toBe(0)
    // It printed more than one state and ended on the finished one.
    expect((watched!.stdout.match(/^phase:/gm) ?? []).length).toBeGreaterThan(1)
    expect(watched!.stdout.trimEnd().split('\n\n').at(-1)).toMatch(/phase: +Succeeded/)
  })
})
