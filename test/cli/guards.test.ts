import {execa} from 'execa'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, createWithExternalSecrets, type LocalHome} from '../helpers/local-home.js'

/**
 * The guards that used to fail open (issue 9), and the prod-tier deploy refusals (approval, a dirty
 * git working tree; moved here from deploy.test.ts to share this file's prod-tier environment),
 * through the built CLI against a prod-tier local environment, checked with real kubectl.
 */
describe('guards fail closed on a prod-tier environment', () => {
  let local: LocalHome
  let kubeconfig: string
  const image = async (name: string) => {
    const result = await runKubectl(['-n', 'mygate', 'get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'], {kubeconfig})
    expect(result.exitCode, result.stderr).toBe(0)
    return result.stdout
  }

  beforeAll(async () => {
    local = createLocalHome()
    // Prod applies no service until its external secrets exist (issue 9): the helper sets them.
    const created = await createWithExternalSecrets(local, ['env', 'create', 'p1', '--tier', 'prod', '--provider', 'local'], {timeoutMs: 180_000})
    expect(created.exitCode, created.stderr).toBe(0)
    kubeconfig = join(local.home, 'kubeconfig', 'p1.yaml')
  }, 240_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('a prod deploy is refused without approval in a non-TTY run, and nothing changes', async () => {
    // Nothing changes: the rollout record (none yet, or the one a test below leaves), the history and the image.
    const record = async () => {
      const run = await local.cli(['rollout', 'status', 'visitors', '--env', 'p1', '--json'])
      return run.exitCode === 0 ? parseEnvelope<{result: {state: unknown}}>(run.stdout).result.state : `exit ${run.exitCode}`
    }
    const history = async () => parseEnvelope<{result: {entries: unknown[]}}>((await local.cli(['rollout', 'history', 'visitors', '--env', 'p1', '--json'])).stdout).result.entries
    const before = {record: await record(), history: await history(), image: await image('visitors')}
    expect(before.image).toMatch(/visitors:/)
    const result = await local.cli(['deploy', 'visitors', '--env', 'p1', '--version', '3.6.0', '--canary', '--allow-dirty'])
    expect(result.exitCode, result.stderr).toBe(2)
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/deploying to prod environment p1 needs approval, and there is no terminal to ask in/)
    expect({record: await record(), history: await history(), image: await image('visitors')}).toEqual(before)
  })

  test('a prod deploy from a dirty git working tree is refused unless --allow-dirty, and records the commit it came from', async () => {
    // users, not visitors: the test below needs visitors never deployed before it.
    const repo = join(local.home, 'repo')
    await execa('git', ['init', '-q', '-b', 'release', repo])
    await execa('git', ['-C', repo, '-c', 'user.email=ci@example.com', '-c', 'user.name=CI', 'commit', '-q', '--allow-empty', '-m', 'release'])
    writeFileSync(join(repo, 'uncommitted.txt'), 'work in progress\n')
    const refused = await local.cli(['deploy', 'users', '--env', 'p1', '--version', '7.0.1', '--rolling', '--approve'], {cwd: repo})
    expect(refused.exitCode, refused.stderr).toBe(2)
    expect(refused.stderr).toMatch(/refusing to deploy to prod environment p1 from a dirty git working tree/)
    expect(refused.stderr).toContain('--allow-dirty')
    const allowed = await local.cli(['deploy', 'users', '--env', 'p1', '--version', '7.0.1', '--rolling', '--approve', '--allow-dirty', '--timeout', '60s'], {cwd: repo})
    expect(allowed.exitCode, allowed.stderr).toBe(0)
    const history = await local.cli(['rollout', 'history', 'users', '--env', 'p1'])
    expect(history.stdout).toMatch(/7\.0\.1 +succeeded .*on release/)
  })

  test('a prod deploy from a working tree git cannot read is refused naming git; --allow-dirty bypasses it', async () => {
    // A worktree whose main repository was moved away: git fails with "not a git repository: <path>",
    // which is not "outside any repository" (that one stays allowed).
    const tree = join(local.home, 'moved-worktree')
    mkdirSync(tree)
    writeFileSync(join(tree, '.git'), `gitdir: ${join(local.home, 'gone', '.git', 'worktrees', 'moved-worktree')}\n`)
    const before = await image('visitors')

    const refused = await local.cli(['deploy', 'visitors', '--env', 'p1', '--version', '3.5.0', '--rolling', '--approve'], {cwd: tree})
    expect(refused.exitCode, refused.stderr).toBe(4)
    const line = expectOneLineError(refused)
    expect(line).toMatch(/^Error: git could not read the working tree at .*moved-worktree: not a git repository: /)
    expect(line).toContain('--allow-dirty')
    expect(await image('visitors')).toBe(before)
    expect((await local.cli(['rollout', 'status', 'visitors', '--env', 'p1'])).exitCode).toBe(3)

    const allowed = await local.cli(['deploy', 'visitors', '--env', 'p1', '--version', '3.5.0', '--rolling', '--approve', '--allow-dirty', '--timeout', '60s'], {cwd: tree})
    expect(allowed.exitCode, allowed.stderr).toBe(0)
    expect(allowed.stderr).toMatch(/warning: git could not read the working tree .*; the deploy is recorded without its git state/)
    expect(await image('visitors')).toBe('registry.mygate.dev/mygate/visitors:3.5.0')
    const history = parseEnvelope<{result: {entries: Array<{toVersion: string; outcome: string; git?: unknown}>}}>((await local.cli(['rollout', 'history', 'visitors', '--env', 'p1', '--json'])).stdout)
    expect(history.result.entries.at(-1)).toMatchObject({toVersion: '3.5.0', outcome: 'succeeded'})
    expect(history.result.entries.at(-1)?.git).toBeUndefined()
  })

  test('destroying it while its cluster cannot be reached: the tier comes from the cached kubeconfig, --yes alone is refused', async () => {
    const down = await local.cli(['local', 'fault', '--env', 'p1', '--region-down', 'local-1'])
    expect(down.exitCode, down.stderr).toBe(0)
    try {
      // The live listing no longer knows the tier: that is what the guard used to decide on.
      const listed = parseEnvelope<{result: Array<{name: string; status: string; tier?: string}>}>((await local.cli(['env', 'list', '--json'])).stdout)
      expect(listed.result.find((e) => e.name === 'p1')).toMatchObject({status: 'unreachable'})
      expect(listed.result.find((e) => e.name === 'p1')?.tier).toBeUndefined()

      const refused = await local.cli(['env', 'destroy', 'p1', '--yes'])
      expect(refused.exitCode, refused.stderr).toBe(2)
      const line = expectOneLineError(refused)
      expect(line).toContain('--yes alone is not enough for destroying environment p1: it is a prod-tier environment')
      expect(line).toContain('--confirm p1')
      expect(existsSync(join(local.home, 'kubeconfig', 'p1.yaml'))).toBe(true)
    } finally {
      const up = await local.cli(['local', 'fault', '--env', 'p1', '--region-down', 'local-1', '--clear'])
      expect(up.exitCode, up.stderr).toBe(0)
    }
    // Nothing was removed: the environment's workloads still answer.
    expect(await image('visitors')).toMatch(/^registry\.mygate\.dev\/mygate\/visitors:/)
    const namespaces = await runKubectl(['get', 'namespace', 'mygate', 'mygate-data', 'mygate-system', '-o', 'name'], {kubeconfig})
    expect(namespaces.exitCode, namespaces.stderr).toBe(0)
  })
})
