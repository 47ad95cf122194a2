import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseEnvelope} from '../helpers/cli.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * TTLs of infra-only environments (clusters only, no record inside them) through the built
 * mygate: `env list --json` shows one created with `--ttl 1s` as expired once the second has
 * passed (its kubeconfig carries the expiry), one with an hour left as not expired, and
 * `env destroy --expired` removes the expired one only.
 */
describe('env create --infra-only --ttl: listed as expired, destroyed by --expired', () => {
  let local: LocalHome
  type Row = {name: string; phase?: string; expired: boolean; expiresAt?: string}
  const list = async (): Promise<Row[]> => {
    const run = await local.cli(['env', 'list', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    return parseEnvelope<{result: Row[]}>(run.stdout).result
  }

  beforeAll(() => {
    local = createLocalHome()
  })
  afterAll(async () => {
    await local?.cleanup()
  })

  test('brief (--ttl 1s) turns expired, keeper (--ttl 1h) does not; destroy --expired removes brief only', async () => {
    for (const [name, ttl] of [['keeper', '1h'], ['brief', '1s']]) {
      const run = await local.cli(['env', 'create', name, '--infra-only', '--ttl', ttl])
      expect(run.exitCode, run.stderr).toBe(0)
    }
    const first = await list()
    expect(first.find((r) => r.name === 'brief')).toMatchObject({phase: 'infra-only', expiresAt: expect.any(String)})
    // Poll until its second has passed (no fixed sleep): expiresAt says when.
    const deadline = Date.parse(first.find((r) => r.name === 'brief')!.expiresAt!) + 10_000
    let rows = first
    while (!rows.find((r) => r.name === 'brief')?.expired && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      rows = await list()
    }
    // mygate.yaml's environments (configured only) are listed too: these two were created.
    expect(rows.filter((r) => r.phase === 'infra-only').map((r) => [r.name, r.phase, r.expired])).toEqual([
      ['brief', 'infra-only', true],
      ['keeper', 'infra-only', false],
    ])
    const destroy = await local.cli(['env', 'destroy', '--expired', '--yes', '--json'])
    expect(destroy.exitCode, destroy.stderr).toBe(0)
    expect(parseEnvelope<{result: {destroyed: Array<{environment: string}>}}>(destroy.stdout).result.destroyed.map((d) => d.environment)).toEqual(['brief'])
    const after = (await list()).map((r) => r.name)
    expect(after).toContain('keeper')
    expect(after).not.toContain('brief')
  }, 60_000)
})
