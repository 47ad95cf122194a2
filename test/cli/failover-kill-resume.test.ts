import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {CLI_BIN, parseEnvelope, REPO_ROOT} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * A planned switchover SIGKILLed at three distinct points (after the target scaled up, in the
 * middle of the parallel database moves, after the DNS switch), each time resumed with `failover
 * resume` from another process: the same run completes, the active region is recorded, and `db
 * status --json` shows every PRIMARY in the target region. The kill points are found by watching
 * the run's record in the target cluster with real kubectl, as a second operator would.
 */
interface StoredRun {
  id: string
  startedAt: string
  outcome: string
  plan: {from: string; to: string}
  steps: Array<{id: string; kind: string; status: string}>
}

describe('mygate failover: killed at a step, resumed to completion', () => {
  let local: LocalHome
  let kubeconfig: string
  const env = 'fk'
  const databases = ['amenities-db', 'auth-db', 'billing-db', 'maintenance-db', 'notifications-db', 'reports-db', 'users-db', 'visitors-db']

  const newestRun = async (region: string): Promise<StoredRun | undefined> => {
    const got = await runKubectl(['--context', `mygate-local-${env}-${region}`, 'get', 'configmaps', '-n', 'mygate-system', '-l', 'mygate.dev/failover-run', '-o', 'json'], {kubeconfig})
    if (got.exitCode !== 0) return undefined
    const runs = (JSON.parse(got.stdout) as {items: Array<{data: {'run.json': string}}>}).items.map((i) => JSON.parse(i.data['run.json']) as StoredRun)
    return runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt)).at(-1)
  }
  const activeRegion = async () => {
    const got = await runKubectl(['--context', `mygate-local-${env}-west`, 'get', 'configmap', 'mygate-environment', '-n', 'mygate-system', '-o', 'jsonpath={.data.environment\\.json}'], {kubeconfig})
    return (JSON.parse(got.stdout) as {activeRegion: string}).activeRegion
  }
  const primaryRegions = async () => {
    const run = await local.cli(['db', 'status', '--env', env, '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const {result} = parseEnvelope<{result: {databases: Array<{database: string; primary: string | null}>}}>(run.stdout)
    return Object.fromEntries(result.databases.map((d) => [d.database, /-(west|east)-\d+\./.exec(d.primary ?? '')?.[1] ?? 'none']))
  }

  beforeAll(async () => {
    local = createLocalHome()
    const created = await local.cli(['env', 'create', env, '--region', 'west', '--secondary-region', 'east'], {timeoutMs: 200_000})
    expect(created.exitCode, created.stderr).toBe(0)
    kubeconfig = `${local.home}/kubeconfig/${env}.yaml`
  }, 240_000)

  afterAll(async () => {
    await local?.cleanup()
  })

  const done = (run: StoredRun, id: string) => run.steps.some((s) => s.id === id && s.status === 'done')
  test.each([
    ['after the target scaled up', (run: StoredRun) => done(run, 'scale-target'), false],
    // Every database move started, none finished: each is between its reconfigs.
    ['in the middle of the database moves', (run: StoredRun) => run.steps.filter((s) => s.kind === 'move-primary').every((s) => s.status === 'running'), false],
    // The steps after the DNS switch take well under a second; the source's API answering slowly
    // (an API latency fault there) leaves the watcher time to kill before the run ends.
    ['after the DNS switch', (run: StoredRun) => done(run, 'switch-traffic'), true],
  ])('killed %s, resumed: every PRIMARY in the target', async (_point, killWhen, slowSource) => {
    const from = await activeRegion()
    const to = from === 'west' ? 'east' : 'west'
    const before = await newestRun(to)
    if (slowSource) {
      const slow = await local.cli(['local', 'fault', '--env', env, '--region', from, '--api-latency-ms', '700'])
      expect(slow.exitCode, slow.stderr).toBe(0)
    }
    const child = execa(process.execPath, [CLI_BIN, 'failover', '--env', env, '--planned', '--json'], {cwd: REPO_ROOT, env: {NO_COLOR: '1', ...local.env}, reject: false, stdin: 'ignore'})
    let killedAt: StoredRun | undefined
    const deadline = Date.now() + 120_000
    while (killedAt === undefined && Date.now() < deadline) {
      const run = await newestRun(to)
      if (run && run.id !== before?.id && killWhen(run)) {
        child.kill('SIGKILL')
        killedAt = run
      } else await new Promise((resolve) => setTimeout(resolve, 150))
    }
    const ended = await child
    if (slowSource) {
      const cleared = await local.cli(['local', 'fault', '--env', env, '--region', from, '--clear'])
      expect(cleared.exitCode, cleared.stderr).toBe(0)
    }
    expect(killedAt, `the kill point was never reached: ${ended.stderr}`).toBeDefined()
    expect(ended.signal).toBe('SIGKILL')
    const stored = (await newestRun(to)) as StoredRun
    expect(stored.id).toBe(killedAt?.id)
    expect(stored.outcome).toBe('running')
    expect(stored.steps.find((s) => s.id === 'record-active')?.status).toBe('pending')
    expect(await activeRegion()).toBe(from)

    const resumed = await local.cli(['failover', 'resume', '--env', env, '--json'], {timeoutMs: 180_000})
    expect(resumed.exitCode, resumed.stderr).toBe(0)
    const {result} = parseEnvelope<{result: {run: StoredRun}}>(resumed.stdout)
    expect(result.run.id).toBe(killedAt?.id)
    expect(result.run.outcome).toBe('succeeded')
    expect(result.run.steps.every((s) => s.status === 'done')).toBe(true)
    expect(await activeRegion()).toBe(to)
    expect(await primaryRegions()).toEqual(Object.fromEntries(databases.map((d) => [d, to])))
  }, 300_000)
})
