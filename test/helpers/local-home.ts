import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parseEnvelope, runCli, type CliOptions, type CliResult} from './cli.js'

/**
 * A private $MYGATE_HOME for one test file, with fast simulated timings, and a cleanup that stops
 * the local control plane it may have started (so no daemon outlives the test).
 */
export interface LocalHome {
  home: string
  env: Record<string, string>
  cli(args: string[], options?: CliOptions): Promise<CliResult>
  cleanup(): Promise<void>
}

export function createLocalHome(settings: {podStartupMs?: number; readinessDelayMs?: number; env?: Record<string, string>} = {}): LocalHome {
  const home = mkdtempSync(join(tmpdir(), 'mygate-test-home-'))
  const env: Record<string, string> = {
    MYGATE_HOME: home,
    CI: 'true',
    MYGATE_LOCAL_POD_STARTUP_MS: String(settings.podStartupMs ?? 30),
    MYGATE_LOCAL_READINESS_DELAY_MS: String(settings.readinessDelayMs ?? 20),
    // Database Jobs (status, initiate, ...) and MongoDB's own timings (elections, heartbeats), sped up.
    MYGATE_LOCAL_JOB_RUN_MS: '50',
    MYGATE_LOCAL_DB_TIME_SCALE: '0.1',
    // Anything else every command of this home gets (e.g. MYGATE_SERVICES_DIR for a test catalog).
    ...settings.env,
  }
  return {
    home,
    env,
    cli: (args, options = {}) => runCli(args, {...options, env: {...env, ...options.env}}),
    async cleanup() {
      await runCli(['local', 'stop'], {env})
      rmSync(home, {recursive: true, force: true})
    },
  }
}

/** A private home with one local environment created in it, and that environment's kubeconfig. */
export async function createLocalEnvironment(name: string, args: string[] = []): Promise<{local: LocalHome; kubeconfig: string}> {
  const local = createLocalHome()
  const created = await local.cli(['env', 'create', name, ...args])
  if (created.exitCode !== 0) {
    await local.cleanup()
    throw new Error(`mygate env create ${name} failed (${created.exitCode}): ${created.stderr}`)
  }
  return {local, kubeconfig: join(local.home, 'kubeconfig', `${name}.yaml`)}
}

/**
 * `mygate env create ARGS` for a staging or prod tier environment, which refuses to apply services
 * (exit 2) until its external secrets are set: sets every missing one to a test value with
 * `mygate secrets set` (stdin, as a user would), then runs the same create again and returns it.
 */
export async function createWithExternalSecrets(local: LocalHome, args: string[], options: CliOptions = {}): Promise<CliResult> {
  const first = await local.cli(args, options)
  if (first.exitCode !== 2 || !/missing \d+ external secrets?/.test(first.stdout + first.stderr)) return first
  const name = args[2]
  const list = await local.cli(['secrets', 'list', '--env', name, '--json'])
  if (list.exitCode !== 0) throw new Error(`mygate secrets list --env ${name} failed (${list.exitCode}): ${list.stderr}`)
  const secrets = parseEnvelope<{result: {secrets: Array<{name: string; class: string; missingKeys: string[]}>}}>(list.stdout).result.secrets
  for (const secret of secrets.filter((s) => s.class === 'external' && s.missingKeys.length > 0)) {
    const input = secret.missingKeys.map((key) => `${key}=test-${secret.name}-${key}\n`).join('')
    const set = await local.cli(['secrets', 'set', secret.name, '--env', name], {input})
    if (set.exitCode !== 0) throw new Error(`mygate secrets set ${secret.name} failed (${set.exitCode}): ${set.stderr}`)
  }
  return local.cli(args, options)
}
