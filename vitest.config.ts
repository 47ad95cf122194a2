import {statSync} from 'node:fs'
import {relative} from 'node:path'
import {defineConfig} from 'vitest/config'
import {BaseSequencer, type TestSpecification} from 'vitest/node'

/**
 * Seconds each slow file takes in CI (2 cores), longest first: the 2026-12-03 CI run's figures,
 * the files the ci-speed2 branch shortened (failover, failover-drill) estimated
 * after it. Only the order of files depends on it: a stale or missing entry costs wall time,
 * never a test. Refresh it from a CI run's `--reporter=verbose` output when a file moves by more
 * than ~10 s.
 */
const CI_SECONDS: Record<string, number> = {
  'test/cli/secrets.test.ts': 76,
  'test/cli/readme-quickstart.test.ts': 72,
  'test/cli/redis-ha.test.ts': 69,
  'test/cli/backup-restore.test.ts': 62,
  'test/cli/env-regions.test.ts': 63,
  'test/cli/failover-forced.test.ts': 57,
  'test/cli/deploy.test.ts': 55,
  'test/cli/failover-watch.test.ts': 55,
  'test/cli/failover-kill-resume.test.ts': 54,
  'test/cli/env-drift-failover.test.ts': 53,
  'test/cli/env-aws.test.ts': 51,
  'test/cli/backup.test.ts': 48,
  'test/cli/env-local.test.ts': 45,
  'test/cli/env-drift.test.ts': 44,
  'test/cli/db.test.ts': 44,
  'test/cli/flags-resume.test.ts': 38,
  'test/cli/guards.test.ts': 38,
  'test/cli/flags.test.ts': 36,
  'test/cli/local-fault.test.ts': 35,
  'test/cli/api-faults.test.ts': 32,
  'test/cli/failover-drill.test.ts': 30,
  'test/cli/failover.test.ts': 27,
  'test/cli/deploy-mesh.test.ts': 25,
  'test/cli/deploy-rolling.test.ts': 25,
  'test/integration/local-cluster/data-plane.test.ts': 24,
  'test/cli/failover-drill-nonlocal.test.ts': 22,
  'test/cli/backup-timeline.test.ts': 21,
}

/** What a file not in the table is guessed to take: CLI files create environments, unit files do not. */
function guessSeconds(file: string): number {
  if (file.startsWith('test/cli/')) return 15
  if (file.startsWith('test/integration/')) return 3
  return 0.5
}

/**
 * Longest files first, so that the two workers end together instead of one of them starting a
 * two-minute file while the other has nothing left (a fresh clone has no vitest results cache,
 * whose default order is "largest file first", and file size says little about a CLI test's
 * time). A duration in the results cache (a repeated local run) wins over the table.
 */
class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root
    const estimate = new Map<TestSpecification, number>()
    for (const spec of files) {
      const file = relative(root, spec.moduleId)
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`)
      const seconds = cached ? cached.duration / 1000 : (CI_SECONDS[file] ?? guessSeconds(file))
      // Ties (most unit files) break by size, larger first, as vitest's own order does.
      estimate.set(spec, seconds + statSync(spec.moduleId).size / 1e9)
    }
    return [...files].sort((a, b) => estimate.get(b)! - estimate.get(a)!)
  }
}

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/cli/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores on CI machines: CLI and integration tests start servers and subprocesses.
    pool: 'forks',
    maxWorkers: 2,
    sequence: {sequencer: LongestFirstSequencer},
  },
})
