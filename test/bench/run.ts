/**
 * `npm run bench`: every benchmark in one run, each reported as ratios or against targets measured
 * in the same run (these machines are noisy; absolute times drift). Missed targets print MISSED;
 * only a crash fails the run.
 */
const suites = ['./render.ts', './api-server.ts', './controllers.ts', './env-create.ts', './rollout.ts', './blue-green.ts', './data-plane.ts', './db-status.ts', './backup-archive.ts', './backup.ts', './backup-verify.ts', './flags.ts', './env-diff.ts', './failover.ts']

let failed = false
for (const suite of suites) {
  try {
    const module = (await import(suite)) as {main?: () => Promise<unknown>}
    if (!module.main) throw new Error(`${suite} exports no main()`)
    await module.main()
  } catch (error) {
    failed = true
    console.error(`\n${suite} crashed: ${(error as Error).stack ?? error}`)
  }
}
process.exitCode = failed ? 1 : 0
