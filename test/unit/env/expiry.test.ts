import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'

import {annotateKubeconfig} from '../../../src/env/kubeconfig-extension.js'
import {listEnvironments} from '../../../src/env/list.js'
import {expiresAtOf, isExpired} from '../../../src/env/record.js'
import {environmentKubeconfigPath, writeKubeconfigFile} from '../../../src/kube/kubeconfig/files.js'
import {localKubeconfig} from '../../../src/local-cluster/daemon/kubeconfig.js'
import {testEnvironment} from '../../helpers/builders.js'

const CREATED = '2026-12-03T10:00:00.000Z'
const at = (iso: string) => Date.parse(iso)

describe('TTL: when an environment expires', () => {
  test.each([
    ['1s', '2026-12-03T10:00:01.000Z'],
    ['90m', '2026-12-03T11:30:00.000Z'],
    ['8h', '2026-12-03T18:00:00.000Z'],
    [undefined, undefined],
  ])('created at 10:00 with --ttl %s: expires at %s', (ttl, expected) => {
    expect(expiresAtOf(CREATED, ttl)).toBe(expected)
  })

  test.each([
    ['before the TTL runs out', '2026-12-03T10:00:00.999Z', false],
    ['the instant it runs out', '2026-12-03T10:00:01.000Z', true],
    ['after', '2026-12-03T10:05:00.000Z', true],
  ])('--ttl 1s, %s: expired %s', (_when, now, expected) => {
    expect(isExpired({expiresAt: expiresAtOf(CREATED, '1s')}, at(now))).toBe(expected)
  })

  test('no TTL never expires', () => {
    expect(isExpired({}, at('2100-01-01T00:00:00.000Z'))).toBe(false)
  })
})

describe('env list: an infra-only environment (no record in its clusters) expires by the TTL its kubeconfig carries', () => {
  const home = mkdtempSync(join(tmpdir(), 'mygate-expiry-'))
  afterAll(() => rmSync(home, {recursive: true, force: true}))

  const cache = async (name: string, extension: {createdAt?: string; expiresAt?: string}) => {
    const path = environmentKubeconfigPath(name, {MYGATE_HOME: home})
    await writeKubeconfigFile(path, localKubeconfig([{name: `${name}-local-1`, port: 1}]))
    await annotateKubeconfig(path, {spec: testEnvironment({name, ttl: '1s'}), infraOnly: true, ...extension})
  }

  test('expired once its expiresAt has passed, not before; the row carries createdAt and expiresAt', async () => {
    await cache('brief', {createdAt: CREATED, expiresAt: expiresAtOf(CREATED, '1s')})
    await cache('keeper', {createdAt: CREATED, expiresAt: expiresAtOf(CREATED, '1h')})
    const rows = await listEnvironments({home, now: at('2026-12-03T10:00:02.000Z')})
    expect(rows.map((r) => [r.name, r.phase, r.expired])).toEqual([
      ['brief', 'infra-only', true],
      ['keeper', 'infra-only', false],
    ])
    expect(rows[0]).toMatchObject({createdAt: CREATED, expiresAt: '2026-12-03T10:00:01.000Z'})
    const earlier = await listEnvironments({home, now: at('2026-12-03T10:00:00.500Z')})
    expect(earlier.find((r) => r.name === 'brief')?.expired).toBe(false)
  })
})
