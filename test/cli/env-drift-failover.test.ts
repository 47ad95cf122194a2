import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {EnvironmentDiff} from '../../src/drift/diff.js'
import {parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, createWithExternalSecrets, type LocalHome} from '../helpers/local-home.js'

/**
 * Issue 13, "no drift after a failover": a two-region staging-tier local environment (warm
 * standby: the standby region runs each app at one replica, HPAs at minReplicas 1, no PDBs) is
 * switched over with `mygate failover --planned`; `env diff --exit-code` must then size each
 * region by the record's new active region and exit 0. The regions' sizes are read with real
 * kubectl, so the test also proves the failover really swapped them (a diff that ignored sizing
 * would pass without that), and a hand edit of the new standby's sizing must still show as drift.
 */
const ENV = 'dfo'

interface Hpa {
  spec: {minReplicas: number}
}

describe('env diff after a planned failover (two-region staging, real kubectl)', () => {
  let local: LocalHome
  let kubeconfig: string
  const kubectl = async (region: string, ...args: string[]) => {
    const result = await runKubectl(['--context', `mygate-local-${ENV}-${region}`, ...args], {kubeconfig})
    expect(result.exitCode, `kubectl ${args.join(' ')}: ${result.stderr}`).toBe(0)
    return result.stdout
  }
  const minReplicas = async (region: string, name: string) => (JSON.parse(await kubectl(region, 'get', 'hpa', name, '-n', 'mygate', '-o', 'json')) as Hpa).spec.minReplicas
  const pdbs = async (region: string) => (await kubectl(region, 'get', 'pdb', '-n', 'mygate', '-o', 'name')).trim()
  const diff = async () => {
    const result = await local.cli(['env', 'diff', ENV, '--json', '--exit-code'])
    return {exitCode: result.exitCode, stderr: result.stderr, diff: parseEnvelope<{result: EnvironmentDiff}>(result.stdout).result}
  }

  beforeAll(async () => {
    local = createLocalHome()
    const created = await createWithExternalSecrets(local, ['env', 'create', ENV, '--tier', 'staging', '--provider', 'local', '--region', 'west', '--secondary-region', 'east'], {
      timeoutMs: 300_000,
    })
    expect(created.exitCode, created.stderr).toBe(0)
    kubeconfig = join(local.home, 'kubeconfig', `${ENV}.yaml`)
  }, 400_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('no drift before, the sizes swap with the failover, no drift after; a hand edit of the new standby still shows', async () => {
    const before = await diff()
    expect(before.exitCode, JSON.stringify(before.diff.objects)).toBe(0)
    expect(before.diff).toMatchObject({activeRegion: 'west', regions: ['west', 'east'], drifted: false, objects: []})
    const fullMin = await minReplicas('west', 'gateway')
    expect(fullMin).toBeGreaterThan(1)
    expect(await minReplicas('east', 'gateway')).toBe(1)
    expect(await pdbs('west')).not.toBe('')
    expect(await pdbs('east')).toBe('')

    const failover = await local.cli(['failover', '--env', ENV, '--planned', '--json', '--reason', 'drift test'], {timeoutMs: 400_000})
    expect(failover.exitCode, failover.stderr).toBe(0)
    // The record (what env diff sizes the regions by) now names east, and the clusters agree.
    const record = JSON.parse(await kubectl('east', 'get', 'configmap', 'mygate-environment', '-n', 'mygate-system', '-o', 'jsonpath={.data.environment\\.json}')) as {activeRegion: string}
    expect(record.activeRegion).toBe('east')
    expect(await minReplicas('east', 'gateway')).toBe(fullMin)
    expect(await minReplicas('west', 'gateway')).toBe(1)
    expect(await pdbs('east')).not.toBe('')
    expect(await pdbs('west')).toBe('')

    const after = await diff()
    expect(after.exitCode, JSON.stringify(after.diff.objects)).toBe(0)
    expect(after.diff).toMatchObject({activeRegion: 'east', drifted: false, objects: []})
    expect(after.diff.compared).toBeGreaterThanOrEqual(before.diff.compared - 20)

    // The new standby sized as if it still served: drift, at the field and in the region.
    await kubectl('west', 'patch', 'hpa', 'gateway', '-n', 'mygate', '--type=merge', '-p', JSON.stringify({spec: {minReplicas: fullMin}}))
    const edited = await diff()
    expect(edited.exitCode).toBe(9)
    const gateway = edited.diff.objects.find((o) => o.region === 'west' && o.kind === 'HorizontalPodAutoscaler' && o.name === 'gateway')
    expect(gateway?.fields).toContainEqual(expect.objectContaining({field: 'spec.minReplicas', desired: 1, live: fullMin, owner: 'kubectl-patch'}))
    expect(edited.diff.objects.filter((o) => !(o.region === 'west' && o.name === 'gateway'))).toEqual([])
  }, 600_000)
})
