import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalEnvironment, type LocalHome} from '../helpers/local-home.js'

/**
 * The weekly verification through the built CLI on one local environment: `env create` puts a
 * `<db>-verify` CronJob beside the other backup CronJobs in the active region; a run of it
 * (`kubectl create job --from=cronjob/`, the Job the controller starts on schedule) picks the
 * newest backup in the pod, restores it into its scratch mongod, and records a passing verdict
 * that `backup status --json` reports; `backup schedule` shows the weekly schedule and moves it.
 */
describe('mygate backup: the weekly verification CronJob (local environment)', () => {
  let local: LocalHome
  let kubeconfig: string
  const kubectl = (...args: string[]) => runKubectl(args, {kubeconfig})
  const json = async <T>(args: string[]): Promise<T> => {
    const run = await local.cli([...args, '--json'])
    expect(run.exitCode, run.stderr + run.stdout).toBe(0)
    return parseEnvelope<{result: T}>(run.stdout).result
  }

  beforeAll(async () => {
    ;({local, kubeconfig} = await createLocalEnvironment('demo'))
  }, 120_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('env create made visitors-db-verify in the active region; backup schedule shows it weekly', async () => {
    const schedule = await json<{region: string; schedules: Array<{database: string; verify: {cronJob: string; schedule: string; timeZone?: string; overridden: boolean}}>}>(['backup', 'schedule', '--env', 'demo'])
    const visitors = schedule.schedules.find((s) => s.database === 'visitors-db')
    expect(visitors?.verify).toMatchObject({cronJob: 'visitors-db-verify', timeZone: 'Asia/Kolkata', overridden: false})
    expect(visitors?.verify.schedule).toMatch(/^45 [2-5] \* \* [0-6]$/)
    // One slot per database: no two verifications at the same time.
    expect(new Set(schedule.schedules.map((s) => s.verify.schedule)).size).toBe(schedule.schedules.length)
    const cronJob = await kubectl('get', 'cronjob', 'visitors-db-verify', '-n', 'mygate-data', '-o', 'json')
    expect(cronJob.exitCode, cronJob.stderr).toBe(0)
    const object = JSON.parse(cronJob.stdout) as {metadata: {annotations: Record<string, string>}; spec: {schedule: string; timeZone: string}}
    expect(object.spec).toMatchObject({schedule: visitors?.verify.schedule, timeZone: 'Asia/Kolkata'})
    expect(object.metadata.annotations['mygate.dev/region']).toBe(schedule.region)
  }, 60_000)

  test('a run verifies the newest backup in the cluster; backup status --json reports it', async () => {
    const created = await json<{backups: Array<{id: string}>}>(['backup', 'create', '--env', 'demo', '--service', 'visitors'])
    const id = created.backups[0].id
    const job = 'visitors-db-verify-manual'
    const started = await kubectl('create', 'job', job, '--from=cronjob/visitors-db-verify', '-n', 'mygate-data')
    expect(started.exitCode, started.stderr).toBe(0)
    const waited = await kubectl('wait', '--for=condition=complete', `job/${job}`, '-n', 'mygate-data', '--timeout=60s')
    const logs = await kubectl('logs', `job/${job}`, '-n', 'mygate-data', '--all-containers')
    expect(waited.exitCode, waited.stderr + logs.stdout + logs.stderr).toBe(0)
    expect(logs.stdout).toContain(`picked ${id}`)

    const status = await json<{services: Array<{database: string; lastVerification?: {id: string; verdict: string}; verification?: {summary: string; overdue: boolean; verdict: string}}>}>(['backup', 'status', '--env', 'demo', '--service', 'visitors'])
    expect(status.services[0]).toMatchObject({database: 'visitors-db', lastVerification: {id, verdict: 'passed'}, verification: {overdue: false, verdict: 'passed'}})
    // Minutes at most: the verification just ran (a slow shared machine may take a minute).
    expect(status.services[0].verification?.summary).toMatch(/^verified \dm ago$/)
    const human = await local.cli(['backup', 'status', '--env', 'demo', '--service', 'visitors'])
    expect(human.stdout).toMatch(/^✔ visitors-db: healthy; .*; verified passed at \S+ \(verified \dm ago\)$/m)
  }, 90_000)

  test('--verify-set moves the verification only; a malformed one is refused by name', async () => {
    const bad = await local.cli(['backup', 'schedule', '--env', 'demo', '--service', 'visitors', '--verify-set', 'weekly'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr.trim()).toMatch(/^Error: --verify-set "weekly" is not a five-field cron schedule/)
    const changed = await json<{changed: boolean; schedules: Array<{base: {schedule: string}; verify: {schedule: string; overridden: boolean}}>}>(['backup', 'schedule', '--env', 'demo', '--service', 'visitors', '--verify-set', '0 4 * * 6'])
    expect(changed.changed).toBe(true)
    expect(changed.schedules[0].verify).toMatchObject({schedule: '0 4 * * 6', overridden: true})
    expect(changed.schedules[0].base.schedule).toBe('30 */6 * * *')
    const live = await kubectl('get', 'cronjob', 'visitors-db-verify', '-n', 'mygate-data', '-o', 'jsonpath={.spec.schedule}')
    expect(live.stdout).toBe('0 4 * * 6')
  }, 60_000)
})
