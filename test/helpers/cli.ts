import {execa} from 'execa'
import {expect} from 'vitest'
import {fileURLToPath} from 'node:url'

/** The built CLI, run as CI and users run it: a real subprocess, no TTY, no stdin. */
export const CLI_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface CliOptions {
  cwd?: string
  env?: Record<string, string | undefined>
  timeoutMs?: number
  /** Text piped to the CLI's standard input (default: none, as in CI). */
  input?: string
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [CLI_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: {NO_COLOR: '1', ...options.env},
    reject: false,
    ...(options.input === undefined ? {stdin: 'ignore' as const} : {input: options.input}),
    timeout: options.timeoutMs ?? 60_000,
  })
  return {exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr)}
}

/** Parses a `--json` stdout, failing the test with the raw output when it is not JSON. */
export function parseEnvelope<T = unknown>(stdout: string): T {
  try {
    return JSON.parse(stdout) as T
  } catch {
    throw new Error(`stdout is not JSON:\n${stdout}`)
  }
}

/** An error as a person sees it: exactly one line on stderr, no stack trace, nothing on stdout. Returns the line. */
export function expectOneLineError(result: {stdout: string; stderr: string}): string {
  expect(result.stdout).toBe('')
  const lines = result.stderr.trimEnd().split('\n')
  expect(lines, result.stderr).toHaveLength(1)
  expect(result.stderr).not.toMatch(/^\s+at /m)
  return lines[0]
}
