import {execa} from 'execa'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {CLI_BIN, REPO_ROOT} from '../helpers/cli.js'
import {kubectlPath} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * The README's quickstart, run line by line as a newcomer would paste it: `npx mygate` is the
 * built CLI, `kubectl` the real one, `~/.mygate` this test's $MYGATE_HOME. A line whose comment
 * says "exit N" must exit N; every other line must succeed.
 */
function quickstartLines(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Quickstart'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1]
  if (!block) throw new Error('README.md has no ```sh block under "## Quickstart"')
  return block.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
}

/**
 * What a line must print besides its exit code, where the README's comment promises it. The
 * drill's human report is checked here, on the quickstart's own drill: failover-drill.test.ts runs
 * one drill only, with --json.
 */
const PRINTS: Array<[RegExp, (stdout: string, match: RegExpMatchArray) => void]> = [
  [
    /^npx mygate failover drill --env (\S+)$/,
    (stdout, [, env]) => {
      const lines = stdout.split('\n')
      expect(lines[0]).toMatch(new RegExp(`^Drill of ${env} \\(local, outage\\): (\\S+) -> (\\S+) -> \\1$`))
      // The gateway judged once per phase (outage, failback), against its own targets.
      expect(lines.filter((l) => /^ {2}met {4}gateway +RTO /.test(l))).toHaveLength(2)
      expect(stdout).toMatch(/^outage: RTO \S+, replication lag at the switch/m)
      expect(stdout).toMatch(/^Result: SUCCESS — every service's RTO and RPO within its targets \(runs fo-\S+, fo-\S+\)$/m)
    },
  ],
]

describe('the README quickstart', () => {
  let local: LocalHome
  // The default timings, as a newcomer gets them.
  beforeAll(() => {
    local = createLocalHome({podStartupMs: 200, readinessDelayMs: 100})
  })
  afterAll(async () => {
    await local.cleanup()
  })

  const lines = quickstartLines()
  test('has the main job in it', () => {
    expect(lines.some((l) => l.startsWith('npx mygate env create'))).toBe(true)
    // Every output check above meets its line (a renamed command must not silently drop it).
    for (const [pattern] of PRINTS) expect(lines.some((l) => pattern.test(l.split(/\s+#\s*/)[0].trim())), String(pattern)).toBe(true)
    expect(lines.filter((l) => l.startsWith('npx mygate deploy')).length).toBeGreaterThanOrEqual(2)
  })

  // One test, not one per line: each line needs what the lines before it did (the environment,
  // the first deploy, the fault), so the quickstart only means something run in order, whole.
  test('runs line by line as pasted: every line exits as its comment says', async () => {
    for (const [i, line] of lines.entries()) {
      const [command, comment] = line.split(/\s+#\s*/)
      const expectedExit = Number(/exit (\d+)/.exec(comment ?? '')?.[1] ?? 0)
      const words = command.trim().split(/\s+/).map((w) => w.replace(/^~\/\.mygate/, local.home))
      const pipeAt = words.indexOf('|')
      const cli = pipeAt === -1 ? words : words.slice(0, pipeAt)
      let program: string
      let args: string[]
      if (cli[0] === 'npx' && cli[1] === 'mygate') [program, args] = [process.execPath, [CLI_BIN, ...cli.slice(2)]]
      else if (cli[0] === 'kubectl') [program, args] = [kubectlPath(), cli.slice(1)]
      else throw new Error(`the quickstart runs only npx mygate and kubectl, not: ${line}`)
      const run = await execa(program, args, {env: {...local.env, NO_COLOR: '1'}, reject: false, stdin: 'ignore', timeout: 120_000})
      expect(run.exitCode, `line ${i + 1}: ${line}\n${String(run.stderr)}`).toBe(expectedExit)
      // `... | head -40` only needs output to pipe.
      if (pipeAt !== -1) expect(String(run.stdout).split('\n').length, `line ${i + 1}: ${line}`).toBeGreaterThan(40)
      for (const [pattern, check] of PRINTS) {
        const match = pattern.exec(command.trim())
        if (match) check(String(run.stdout), match)
      }
    }
  }, 600_000)
})
