import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {REPO_ROOT, runCli, expectOneLineError} from '../helpers/cli.js'

/**
 * The project config as the built CLI sees it. `render` is the command that reads mygate.yaml
 * first (before the catalog and templates), so config errors surface through it.
 */

const FIXTURES = join(REPO_ROOT, 'test/fixtures/config')
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((line) => line.includes(needle)) + 1


let cwd: string
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'mygate-cli-config-'))
})
afterAll(async () => {
  await rm(cwd, {recursive: true, force: true})
})

describe('mygate.yaml errors reach the user as file:line', () => {
  test('a malformed mygate.yaml in the cwd: exit 2, one line naming mygate.yaml and the line', async () => {
    await writeFile(join(cwd, 'mygate.yaml'), await readFile(join(FIXTURES, 'malformed.yaml'), 'utf8'))
    const result = await runCli(['render', '--env', 'dev'], {cwd, env: {MYGATE_CONFIG: undefined}})
    expect(result.exitCode).toBe(2)
    const line = expectOneLineError(result)
    const match = /^Error: mygate\.yaml:(\d+): invalid YAML: /.exec(line)
    expect(match, line).not.toBeNull()
    // yaml notices the unclosed flow mapping at the end of the file, at or after where it opens.
    expect(Number(match?.[1])).toBeGreaterThanOrEqual(9)
  })

  test('an unknown key in the cwd mygate.yaml: exit 2 with line and field', async () => {
    const text = 'apiVersion: mygate.dev/v1\nkind: Project\nregistry: registry.mygate.dev\nenvironments:\n  dev:\n    tier: dev\n    regions: {primary: local-1}\n    replicas: 3\n'
    await writeFile(join(cwd, 'mygate.yaml'), text)
    const result = await runCli(['render', '--env', 'dev'], {cwd, env: {MYGATE_CONFIG: undefined}})
    expect(result.exitCode).toBe(2)
    expect(expectOneLineError(result)).toMatch(/^Error: mygate\.yaml:8: environments\.dev\.replicas is not a known field /)
  })

  test('--config names the file; a wrong type is reported at its line', async () => {
    const file = join(FIXTURES, 'wrong-type.yaml')
    const result = await runCli(['render', '--env', 'dev', '--config', file], {cwd: REPO_ROOT})
    expect(result.exitCode).toBe(2)
    const at = lineOf(await readFile(file, 'utf8'), 'mesh: sometimes')
    expect(expectOneLineError(result)).toMatch(
      new RegExp(`^Error: test/fixtures/config/wrong-type\\.yaml:${at}: environments\\.dev\\.mesh must be true or false, got "sometimes"`),
    )
  })

  test('MYGATE_CONFIG naming a missing file: exit 2', async () => {
    const result = await runCli(['render', '--env', 'dev'], {cwd, env: {MYGATE_CONFIG: join(cwd, 'nowhere.yaml')}})
    expect(result.exitCode).toBe(2)
    expect(expectOneLineError(result)).toContain('config file nowhere.yaml does not exist (check --config or $MYGATE_CONFIG')
  })

  test('an unknown environment with the shipped default: exit 3 listing dev, staging, prod', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'mygate-cli-noconfig-'))
    try {
      const result = await runCli(['render', '--env', 'qa'], {cwd: empty, env: {MYGATE_CONFIG: undefined}})
      expect(result.exitCode).toBe(3)
      expect(expectOneLineError(result)).toContain('unknown environment "qa": the built-in mygate.yaml defines one of dev, staging, prod')
    } finally {
      await rm(empty, {recursive: true, force: true})
    }
  })
})
