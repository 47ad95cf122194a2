import {reportError, successEnvelope, writeJson} from './report.js'

/**
 * Commands answered without loading oclif, for the invocations scripts and dashboards run in a
 * loop. oclif's own start-up is ~200 ms on this class of machine, more than twice `kubectl get`;
 * `mygate rollout status` is meant to be about as quick. Only the plain form is taken here (the
 * service, --env and optionally --json); anything else goes through oclif as usual. Both run the
 * same function over the same transport (src/deploy/rollout-status.ts), so output, errors and exit
 * codes are the same either way (src/cli/report.ts).
 */

export interface RolloutStatusInvocation {
  service: string
  env: string
  json: boolean
}

/** Pure: the plain `rollout status SERVICE --env ENV [--json]` form, or undefined. */
export function matchRolloutStatus(argv: readonly string[]): RolloutStatusInvocation | undefined {
  if (argv[0] !== 'rollout' || argv[1] !== 'status') return undefined
  let service: string | undefined
  let env: string | undefined
  let json = false
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--json' && !json) json = true
    else if (arg === '--env' && env === undefined && i + 1 < argv.length && !argv[i + 1].startsWith('-')) env = argv[++i]
    else if (arg.startsWith('--env=') && env === undefined && arg.length > '--env='.length) env = arg.slice('--env='.length)
    else if (!arg.startsWith('-') && service === undefined) service = arg
    else return undefined
  }
  return service !== undefined && env !== undefined ? {service, env, json} : undefined
}

/** Runs a fast path when the arguments match one. Returns false when oclif should run instead. */
export async function runFastPath(argv: readonly string[]): Promise<boolean> {
  const status = matchRolloutStatus(argv)
  if (!status) return false
  try {
    const {rolloutStatus} = await import('../deploy/rollout-status.js')
    const result = await rolloutStatus(status.service, status.env)
    if (status.json) writeJson(successEnvelope('rollout status', result))
    else process.stdout.write(result.lines.map((line) => `${line}\n`).join(''))
  } catch (error) {
    process.exitCode = reportError(error, {command: 'rollout status', json: status.json, verbose: Boolean(process.env.DEBUG)})
  }
  return true
}
