import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {createCatalog} from '../../../src/catalog/catalog.js'
import {OperationFailedError} from '../../../src/errors.js'
import {confirmPrimary, readStatus} from '../../../src/failover/database-moves.js'
import {recordAlertEvent} from '../../../src/failover/watch/alert.js'
import {planAutomaticFailover} from '../../../src/failover/watch/automatic-plan.js'
import {confirmFromRead, sharedPrimariesRead} from '../../../src/failover/watch/confirm-primaries.js'
import {decideOnLoss} from '../../../src/failover/watch/loss-decision.js'
import {databaseViewsFor, probeRegions} from '../../../src/failover/watch/probe.js'
import {KubeClient} from '../../../src/kube/client.js'
import type {LocalCluster} from '../../../src/local-cluster/cluster.js'
import {testEnvironment, testService} from '../../helpers/builders.js'
import {formReplicaSetAcrossRegions, startTwoRegions, type TwoRegions, waitUntil} from '../../helpers/two-regions.js'

/**
 * What `failover watch` measures and reads, over real HTTP against two local clusters of one
 * cluster set sharing the simulated data plane (staging layout: r1 holds the votes' majority):
 * a probe round (API, gateway, one status Job), the decision it feeds when a region goes down
 * (act when the survivors hold the majority and MongoDB kept the PRIMARY there, alert with the
 * forced command when they do not), confirm-primary never moving a PRIMARY, and the alert Event.
 */
describe('failover watch probes against the local control plane', () => {
  let regions: TwoRegions
  const clusters: Record<string, LocalCluster> = {}
  const clients: Record<string, KubeClient> = {}
  const spec = testEnvironment({name: 'demo', tier: 'staging', regions: {primary: 'r1', secondary: 'r2'}})
  const database = testService({name: 'billing-db', kind: 'mongodb', port: 27017})
  const settings = {electionTimeoutMillis: 1000, heartbeatIntervalMillis: 200}
  const clientMap = () => new Map(Object.entries(clients))
  const probe = (serving: string[]) => probeRegions({spec, clients: clientMap(), databases: [database], serving, preferredRegion: 'r1', apiTimeoutMs: 1000, now: Date.now})

  const until = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => waitUntil(what, check, {timeoutMs})

  beforeAll(async () => {
    regions = await startTwoRegions({clusterSet: 'demo', tmpPrefix: 'mygate-watch-probe-', persistDataPlane: true})
    Object.assign(clusters, regions.clusters)
    Object.assign(clients, regions.clients)
    regions.dataPlane.start()
    await formReplicaSetAcrossRegions(regions, {database, spec, settings})
  }, 90_000)

  afterAll(async () => {
    await regions?.close()
  })

  test('both regions up: every probe passes (no region serves, so no gateway is asked for); one status Job sees the PRIMARY in r1', async () => {
    const round = await probe([])
    expect(round.probes.map((p) => [p.region, p.ok])).toEqual([['r1', true], ['r2', true]])
    expect(round.statusRanIn).toBe('r1')
    expect(databaseViewsFor(round.databases ?? [], 'r2')).toEqual([{database: 'billing-db', primaryRegion: 'r1', survivorVotes: 1, totalVotes: 3}])
  }, 60_000)

  test('a serving region without a ready gateway fails its probe, however well its API answers', async () => {
    const round = await probe(['r1'])
    expect(round.probes.find((p) => p.region === 'r1')).toMatchObject({ok: false, error: 'gateway: no Deployment'})
    expect(round.probes.find((p) => p.region === 'r2')?.ok).toBe(true)
  }, 60_000)

  test('confirm-primary only reads: with the PRIMARY in r1, confirming r2 fails and moves nothing', async () => {
    const before = await readStatus({client: clients.r2, database, spec})
    await expect(confirmPrimary({client: clients.r2, database, spec}, 'r2')).rejects.toThrow(OperationFailedError)
    await expect(confirmPrimary({client: clients.r2, database, spec}, 'r2')).rejects.toThrow(/its PRIMARY in r1, not in r2: the watch does not force it/)
    expect((await readStatus({client: clients.r2, database, spec})).primary).toBe(before.primary)
    expect((await confirmPrimary({client: clients.r1, database, spec}, 'r1')).detail).toBe(`PRIMARY ${before.primary} in r1, elected by MongoDB`)
  }, 60_000)

  test('the automatic run confirms every database from ONE status-all Job, with confirmPrimary\'s verdicts', async () => {
    // Count the Jobs the steps create: one status-all, no per-database status Job.
    const jobs: string[] = []
    const counting = new Proxy(clients.r1, {
      get(target, property, receiver) {
        if (property === 'create') {
          return async (object: {kind: string; metadata: {labels?: Record<string, string>}}, ...rest: unknown[]) => {
            if (object.kind === 'Job') jobs.push(object.metadata.labels?.['mygate.dev/op'] ?? '?')
            return (target.create as (...args: unknown[]) => unknown).call(target, object, ...rest)
          }
        }
        const value = Reflect.get(target, property, receiver)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const catalog = createCatalog([database])
    const plan = planAutomaticFailover({spec, catalog, lost: 'r2', survivor: 'r1'})
    const session = {}
    const [first, second] = await Promise.all([
      sharedPrimariesRead(session, plan, catalog, {client: counting, region: 'r1', spec}),
      sharedPrimariesRead(session, plan, catalog, {client: counting, region: 'r1', spec}),
    ])
    expect(second).toBe(first)
    expect(jobs).toEqual(['status-all'])
    const expected = await confirmPrimary({client: clients.r1, database, spec}, 'r1')
    expect(confirmFromRead(first, database, spec, 'r1')).toEqual(expected)
    // The same refusal as confirmPrimary where the PRIMARY is not: r2 confirmed from the same read.
    const refusal = await confirmPrimary({client: clients.r2, database, spec}, 'r2').catch((error: Error) => error)
    expect(() => confirmFromRead(first, database, spec, 'r2')).toThrow(OperationFailedError)
    expect(() => confirmFromRead(first, database, spec, 'r2')).toThrow((refusal as Error).message)
  }, 60_000)

  test('r2 (the minority) down: its probe fails on the API; from r1 the PRIMARY stayed and r1 holds the majority, so the watch would act', async () => {
    await clusters.r2.setDown(true)
    try {
      const round = await probe([])
      expect(round.probes.find((p) => p.region === 'r2')).toMatchObject({ok: false, error: expect.stringMatching(/^API did not answer within 1s/)})
      const views = databaseViewsFor(round.databases ?? [], 'r1')
      expect(views).toEqual([{database: 'billing-db', primaryRegion: 'r1', survivorVotes: 2, totalVotes: 3}])
      const decision = decideOnLoss({environment: 'demo', lost: 'r2', serving: ['r1', 'r2'], survivor: 'r1', databases: views, drMode: 'active-active', lostForMs: 0, electionGraceMs: 10_000})
      expect(decision).toEqual({action: 'act', survivor: 'r1', why: 'MongoDB elected every PRIMARY in r1 by itself'})
    } finally {
      await clusters.r2.setDown(false)
    }
  }, 60_000)

  test('r1 (the majority) down: r2 cannot elect, so the watch alerts with the forced command; the alert is a Warning Event in r2', async () => {
    await clusters.r1.setDown(true)
    try {
      const round = await until('r2 without a PRIMARY', async () => {
        const r = await probe([])
        return r.statusRanIn === 'r2' && r.databases?.[0]?.primary === null ? r : undefined
      })
      expect(round.probes.find((p) => p.region === 'r1')?.ok).toBe(false)
      const views = databaseViewsFor(round.databases ?? [], 'r2')
      expect(views).toEqual([{database: 'billing-db', primaryRegion: null, survivorVotes: 1, totalVotes: 3}])
      const decision = decideOnLoss({environment: 'demo', lost: 'r1', serving: ['r1'], survivor: 'r2', databases: views, drMode: 'warm-standby', lostForMs: 0, electionGraceMs: 10_000})
      expect(decision).toMatchObject({action: 'alert', command: 'mygate failover --env demo --forced --confirm demo'})
      if (decision.action !== 'alert') throw new Error('expected an alert')

      // Every environment has mygate-system (its record lives there); this harness makes it here.
      await clients.r2.apply({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'mygate-system'}})
      const written = await recordAlertEvent(clients.r2, {environment: 'demo', lost: 'r1', why: decision.why, command: decision.command}, new Date())
      const events = await clients.r2.list('v1', 'Event', {namespace: 'mygate-system'})
      const event = events.items.find((e) => `mygate-system/${e.metadata.name}` === written) as Record<string, unknown> | undefined
      expect(event).toMatchObject({type: 'Warning', reason: 'RegionLost', involvedObject: {kind: 'ConfigMap', name: 'mygate-environment', namespace: 'mygate-system'}})
      expect(event?.message).toContain('Run: mygate failover --env demo --forced --confirm demo')
    } finally {
      await clusters.r1.setDown(false)
    }
  }, 90_000)
})
