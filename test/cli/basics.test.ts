import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'

import {REPO_ROOT, runCli} from '../helpers/cli.js'

const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as {version: string}

describe('mygate basics (built CLI)', () => {
  test('--version prints name/version platform-arch node-version, as oclif does', async () => {
    const run = await runCli(['--version'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout.trim()).toBe(`mygate/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`)
  })

  test('help lists the command topics', async () => {
    const run = await runCli(['help'])
    expect(run.exitCode).toBe(0)
    for (const topic of ['env', 'local', 'services', 'render', 'rollout']) expect(run.stdout).toContain(topic)
  })

  test('an unknown command exits 2 without a stack trace', async () => {
    const run = await runCli(['frobnicate'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('frobnicate')
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  test('an unknown flag is one line, exit 2, pointing at --help', async () => {
    const run = await runCli(['services', 'list', '--nope'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toContain('Nonexistent flag: --nope')
    expect(run.stderr).toContain('mygate services list --help')
  })

  test('a missing required flag keeps its message', async () => {
    const run = await runCli(['local', 'fault', '--json'])
    expect(run.exitCode).toBe(2)
    const envelope = JSON.parse(run.stdout) as {ok: boolean; error: {code: string; message: string}}
    expect(envelope.ok).toBe(false)
    expect(envelope.error.code).toBe('USAGE')
    expect(envelope.error.message).toMatch(/Missing required flag env/)
  })

  test('--verbose adds the stack trace that is otherwise hidden', async () => {
    const quiet = await runCli(['env', 'describe', 'nosuch'], {env: {MYGATE_HOME: '/nonexistent/mygate-home'}})
    expect(quiet.stderr).not.toMatch(/\n\s+at /)
    const verbose = await runCli(['env', 'describe', 'nosuch', '--verbose'], {env: {MYGATE_HOME: '/nonexistent/mygate-home'}})
    expect(verbose.exitCode).toBe(3)
    expect(verbose.stderr).toMatch(/\n\s+at /)
  })
})
