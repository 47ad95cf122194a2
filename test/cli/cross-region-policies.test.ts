import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {DatabaseStatusReport} from '../../src/db/status.js'
import {parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'

/**
 * The local control plane checks connections between its region clusters against the
 * NetworkPolicies, through the built mygate and real kubectl: on a two-region local environment
 * the shipped `*-cross-region` policies let every set form; deleting one in the secondary region
 * cuts that region's member off (the primary's heartbeats fail: `db status` shows it DOWN while its
 * pod runs); deleting the master's region's Redis policy takes the replica's link down; applying
 * a policy again heals.
 */
describe('cross-region NetworkPolicies on a two-region local environment', () => {
  let local: LocalHome
  let created: {kubeconfig: string; contexts: Record<string, string>}
  const status = async (service: string) => {
    const run = await local.cli(['db', 'status', '--env', 'xr', '--service', service, '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    return parseEnvelope<{result: DatabaseStatusReport}>(run.stdout).result
  }
  const kubectl = (region: string, ...args: string[]) => runKubectl(['--context', created.contexts[region], ...args], {kubeconfig: created.kubeconfig})
  const until = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 25_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = await check()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 300))
    }
  }
  /** Deletes a policy with kubectl, returning it as it was (to apply it back). */
  const deletePolicy = async (region: string, name: string): Promise<string> => {
    const saved = await kubectl(region, 'get', 'networkpolicy', name, '-n', 'mygate-data', '-o', 'json')
    expect(saved.exitCode, saved.stderr).toBe(0)
    const object = JSON.parse(saved.stdout) as {metadata: Record<string, unknown>}
    for (const field of ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields']) delete object.metadata[field]
    const deleted = await kubectl(region, 'delete', 'networkpolicy', name, '-n', 'mygate-data')
    expect(deleted.exitCode, deleted.stderr).toBe(0)
    return JSON.stringify(object)
  }
  const applyBack = async (region: string, manifest: string) => {
    const applied = await runKubectl(['--context', created.contexts[region], 'apply', '-f', '-'], {kubeconfig: created.kubeconfig, input: manifest})
    expect(applied.exitCode, applied.stderr).toBe(0)
  }

  beforeAll(async () => {
    local = createLocalHome()
    const run = await local.cli(['env', 'create', 'xr', '--region', 'west', '--secondary-region', 'east', '--json'])
    if (run.exitCode !== 0) throw new Error(`env create failed (${run.exitCode}): ${run.stderr}`)
    created = parseEnvelope<{result: typeof created}>(run.stdout).result
  }, 240_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('the shipped policies: the set spans both regions, healthy; each region\'s pods have their own range', async () => {
    const billing = (await status('billing')).databases[0]
    expect(billing.verdict, billing.summary).toBe('healthy')
    expect(billing.members.map((m) => [m.region, m.state])).toEqual([['west', 'PRIMARY'], ['east', 'SECONDARY']])
    for (const [region, prefix] of [['west', '10.244.'], ['east', '10.245.']]) {
      const ip = await kubectl(region, 'get', 'pod', 'billing-db-0', '-n', 'mygate-data', '-o', 'jsonpath={.status.podIP}')
      expect(ip.stdout.startsWith(prefix), `${region}: ${ip.stdout}`).toBe(true)
    }
  })

  test('deleting east\'s billing-db-cross-region makes east\'s member unreachable from the primary; applying it again heals', async () => {
    const saved = await deletePolicy('east', 'billing-db-cross-region')
    const cut = await until('east\'s member DOWN', async () => {
      const billing = (await status('billing')).databases[0]
      return billing.members.find((m) => m.region === 'east')?.state === 'DOWN' ? billing : undefined
    })
    expect(cut.verdict).toBe('degraded')
    expect(cut.members.find((m) => m.region === 'west')?.state).toBe('PRIMARY')
    const phase = await kubectl('east', 'get', 'pod', 'billing-db-0', '-n', 'mygate-data', '-o', 'jsonpath={.status.phase}')
    expect(phase.stdout).toBe('Running')
    // Only billing-db's policy went: another database across the same regions is untouched.
    expect((await status('visitors')).databases[0].verdict).toBe('healthy')

    await applyBack('east', saved)
    const healed = await until('billing-db healthy again', async () => {
      const billing = (await status('billing')).databases[0]
      return billing.verdict === 'healthy' ? billing : undefined
    })
    expect(healed.members.map((m) => [m.region, m.state])).toEqual([['west', 'PRIMARY'], ['east', 'SECONDARY']])
  }, 60_000)

  test('deleting west\'s redis-cross-region: the master refuses east\'s replica, whose link goes down (read from west, whose Jobs east still admits); applying it again brings it up', async () => {
    const linkOf = async () => (await status('redis')).redis?.members.find((m) => m.region === 'east')?.linkStatus
    expect(await until('the replica linked', async () => ((await linkOf()) === 'up' ? true : undefined))).toBe(true)
    const saved = await deletePolicy('west', 'redis-cross-region')
    const down = await until('the replica link down', async () => {
      const redis = (await status('redis')).redis
      return redis?.members.find((m) => m.region === 'east')?.linkStatus === 'down' ? redis : undefined
    })
    expect(down.verdict).toBe('degraded')
    expect(down.members.find((m) => m.region === 'east')).toMatchObject({role: 'slave', linkStatus: 'down'})
    await applyBack('west', saved)
    expect(await until('the replica linked again', async () => ((await linkOf()) === 'up' ? true : undefined))).toBe(true)
  }, 60_000)
})
