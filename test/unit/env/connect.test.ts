import {mkdtempSync, rmSync} from 'node:fs'
import type {ServerResponse} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, test} from 'vitest'

import {rolloutStatus} from '../../../src/deploy/rollout-status.js'
import {connectEnvironment} from '../../../src/env/connect.js'
import {encodeRecord, type EnvironmentRecord} from '../../../src/env/record.js'
import {ExternalError, NotFoundError} from '../../../src/errors.js'
import {environmentKubeconfigPath, writeKubeconfigFile} from '../../../src/kube/kubeconfig/files.js'
import {testEnvironment} from '../../helpers/builders.js'
import {json, startScriptedApiServer, status, type ScriptedApiServer, type SeenRequest} from '../../helpers/scripted-api-server.js'

/**
 * An environment connection against two scripted API servers (one per region): the record is read
 * once, one client per region is opened once and closed once, and `rollout status` makes one
 * attempt whose errors speak.
 */

const RECORD_PATH = '/api/v1/namespaces/mygate-system/configmaps/mygate-environment'

let home: string
let east: ScriptedApiServer
let west: ScriptedApiServer
const savedHome = process.env.MYGATE_HOME
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'mygate-connect-'))
  // rolloutStatus finds the environment under $MYGATE_HOME, as the CLI does.
  process.env.MYGATE_HOME = home
})
afterEach(async () => {
  if (savedHome === undefined) delete process.env.MYGATE_HOME
  else process.env.MYGATE_HOME = savedHome
  await east?.close()
  await west?.close()
  rmSync(home, {recursive: true, force: true})
})

function record(): EnvironmentRecord {
  const spec = testEnvironment({name: 'two', regions: {primary: 'east', secondary: 'west'}})
  return {
    schemaVersion: 1,
    name: 'two',
    provider: 'local',
    spec,
    clusters: [
      {region: 'east', role: 'primary', clusterName: 'two-east', context: 'ctx-east'},
      {region: 'west', role: 'secondary', clusterName: 'two-west', context: 'ctx-west'},
    ],
    activeRegion: 'west',
    versions: {},
    phase: 'ready',
    createdAt: '2026-12-03T10:00:00Z',
    updatedAt: '2026-12-03T10:00:00Z',
  }
}

/** Serves the environment record (with the v1 discovery the helper answers); 404 for the rest. */
const servesRecord = (request: SeenRequest, res: ServerResponse) => {
  if (request.url.pathname !== RECORD_PATH) return false
  json(res, 200, {...encodeRecord(record()), metadata: {...encodeRecord(record()).metadata, resourceVersion: '5'}})
  return true
}

async function writeEnvironmentKubeconfig(): Promise<void> {
  await writeKubeconfigFile(environmentKubeconfigPath('two', {MYGATE_HOME: home}), {
    clusters: [
      {name: 'east', cluster: {server: east.url}},
      {name: 'west', cluster: {server: west.url}},
    ],
    users: [{name: 'u', user: {token: 't'}}],
    contexts: [
      {name: 'ctx-east', context: {cluster: 'east', user: 'u'}},
      {name: 'ctx-west', context: {cluster: 'west', user: 'u'}},
    ],
  })
}

describe('connectEnvironment', () => {
  test('reads the record once through the first context, then serves every region with the clients it opened', async () => {
    east = await startScriptedApiServer(servesRecord)
    west = await startScriptedApiServer(servesRecord)
    await writeEnvironmentKubeconfig()
    const connection = await connectEnvironment('two', {home})
    expect([...connection.clients.keys()]).toEqual(['east', 'west'])
    expect(connection.primary).toBe(connection.clients.get('west'))
    expect(east.seen.map((r) => r.url.pathname)).toEqual([RECORD_PATH])
    expect(west.seen).toEqual([])
    // The east client that found the record is the east region's client: no second one.
    expect(connection.clients.get('east')!.requestCount).toBe(1)
    expect(connection.requestCount()).toBe(1)
    connection.close()
    connection.close()
  })

  test('a region that answers 403 is an error that speaks (not "no record"), unless unreachable regions are tolerated', async () => {
    east = await startScriptedApiServer((_request, res) => (status(res, 403, 'Forbidden'), true))
    west = await startScriptedApiServer(servesRecord)
    await writeEnvironmentKubeconfig()
    const strict = connectEnvironment('two', {home})
    await expect(strict).rejects.toThrow(ExternalError)
    await expect(strict).rejects.toThrow('get ConfigMap mygate-environment: Forbidden (scripted)')
    const tolerant = await connectEnvironment('two', {home, tolerateUnreachable: true})
    expect(tolerant.record.name).toBe('two')
    tolerant.close()
  })
})

describe('rolloutStatus: one attempt over one connection', () => {
  test('no rollout recorded: NotFound naming the service, after one read of each object', async () => {
    east = await startScriptedApiServer(servesRecord)
    west = await startScriptedApiServer(servesRecord)
    await writeEnvironmentKubeconfig()
    await expect(rolloutStatus('visitors', 'two')).rejects.toThrow(NotFoundError)
    // The record from east; the rollout record and the lease from the active region (west), once each.
    expect(east.seen.map((r) => r.url.pathname)).toEqual([RECORD_PATH])
    expect(west.seen.map((r) => r.url.pathname).sort()).toEqual(['/api/v1/namespaces/mygate-system/configmaps/mygate-rollout-visitors', '/apis/coordination.k8s.io/v1/namespaces/mygate-system/leases/mygate-deploy-visitors'])
  }, 20_000)

  test('a failing read is reported as it is, once', async () => {
    east = await startScriptedApiServer(servesRecord)
    west = await startScriptedApiServer((request, res) => (request.url.pathname.includes('mygate-rollout-visitors') ? (status(res, 403, 'Forbidden'), true) : false))
    await writeEnvironmentKubeconfig()
    await expect(rolloutStatus('visitors', 'two')).rejects.toThrow('get ConfigMap mygate-rollout-visitors: Forbidden (scripted)')
    expect(west.seen.filter((r) => r.url.pathname.includes('mygate-rollout-visitors'))).toHaveLength(1)
  })
})
