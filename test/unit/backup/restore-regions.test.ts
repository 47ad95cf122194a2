import {describe, expect, test} from 'vitest'

import type {ArchiveLocation} from '../../../src/backup/jobs/transfer.js'
import {renderOplogSliceJob} from '../../../src/backup/jobs/slice-job-values.js'
import {sliceStartOf} from '../../../src/backup/pitr/slice-range.js'
import {quotaShortfall} from '../../../src/backup/restore/quota-preflight.js'
import {memoryBytes} from '../../../src/catalog/quantity.js'
import {quotaFor} from '../../../src/render/resource-policy.js'
import {setServiceReads} from '../../../src/backup/restore/live-set.js'
import {RESTORE_STEPS, type RestoreRun, type RestoreStepKind} from '../../../src/backup/restore/restore-run.js'
import {renderRestoredSet, restoredSetSpansRegions, restoredSetTopology} from '../../../src/backup/restore/restored-set.js'
import {membersNotServing} from '../../../src/backup/restore/span-regions.js'
import {renderBackupCronJobs} from '../../../src/backup/schedule/backup-cronjobs.js'
import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {ServiceDescriptor} from '../../../src/catalog/types.js'
import type {EnvironmentSpec} from '../../../src/config/types.js'
import {replicaSetTopology} from '../../../src/db/topology.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {objectsForRegion} from '../../../src/render/labels.js'
import {validateObjects} from '../../../src/render/validate.js'
import {testEnvironment} from '../../helpers/builders.js'

/**
 * Restores in a two-region environment, the pure parts: the restored set laid out like the live
 * one (members per region, votes by the active region), rendered per region; which set a service
 * reads (and so what its backups and slices read) through a restore run's life; where the next
 * slice starts after a timeline break; the slice Job and CronJobs naming a restored set.
 */

const twoRegions = (overrides: Partial<EnvironmentSpec> = {}) => testEnvironment({tier: 'prod', regions: {primary: 'west', secondary: 'east'}, ...overrides})
const visitorsDb = async () => (await loadCatalog()).byName('visitors-db') as ServiceDescriptor

describe('a restored set across two regions', () => {
  test.each([
    ['active west (the configured primary)', 'west', 'west', 'east'],
    ['active east (after a failover)', 'east', 'east', 'west'],
  ])('%s: the live layout under the set name, the PRIMARY region first with priority 2', async (_what, active, first, second) => {
    const database = await visitorsDb()
    const topology = restoredSetTopology({database, set: 'visitors-db-rk3x9', namespace: 'mygate-data', acrossRegions: true, activeRegion: active}, twoRegions())
    const host = (region: string, i: number) => `visitors-db-rk3x9-${region}-${i}.mygate-data.svc.clusterset.local:27017`
    expect(topology.primaryRegion).toBe(active)
    expect(topology.members.map((m) => [m.host, m.region, m.pod, m.memberService, m.priority, m.votes])).toEqual([
      [host(first, 0), first, 'visitors-db-rk3x9-0', `visitors-db-rk3x9-${first}-0`, 2, 1],
      [host(first, 1), first, 'visitors-db-rk3x9-1', `visitors-db-rk3x9-${first}-1`, 2, 1],
      [host(first, 2), first, 'visitors-db-rk3x9-2', `visitors-db-rk3x9-${first}-2`, 2, 1],
      [host(second, 0), second, 'visitors-db-rk3x9-0', `visitors-db-rk3x9-${second}-0`, 1, 1],
      [host(second, 1), second, 'visitors-db-rk3x9-1', `visitors-db-rk3x9-${second}-1`, 1, 1],
      [host(second, 2), second, 'visitors-db-rk3x9-2', `visitors-db-rk3x9-${second}-2`, 0, 0],
    ])
    // The same priorities and votes as the live set's, member for member.
    const live = replicaSetTopology(database, twoRegions({regions: {primary: active, secondary: active === 'west' ? 'east' : 'west'}}))
    expect(topology.members.map((m) => [m.region, m.priority, m.votes])).toEqual(live.members.map((m) => [m.region, m.priority, m.votes]))
  })

  test('without acrossRegions (a verification) or in one region: every member in the active region, cluster-local names', async () => {
    const database = await visitorsDb()
    const one = restoredSetTopology({database, set: 'visitors-db-verify', namespace: 'mygate-verify-a1', activeRegion: 'east'}, twoRegions())
    expect(one.members.map((m) => [m.host, m.region])).toEqual([0, 1, 2].map((i) => [`visitors-db-verify-${i}.visitors-db-verify.mygate-verify-a1.svc.cluster.local:27017`, 'east']))
    const single = restoredSetTopology({database, set: 'visitors-db-r1', namespace: 'mygate-data', acrossRegions: true}, testEnvironment({tier: 'prod', regions: {primary: 'west'}}))
    expect(single.members.map((m) => m.host)).toEqual([0, 1, 2].map((i) => `visitors-db-r1-${i}.visitors-db-r1.mygate-data.svc.cluster.local:27017`))
    expect(() => restoredSetTopology({database, set: 'visitors-db-r1', namespace: 'mygate-verify-a1', acrossRegions: true}, twoRegions())).toThrow(/in mygate-data only/)
  })

  test.each([
    ['local, two regions', twoRegions(), true],
    ['kubeconfig, two regions', twoRegions({provider: 'kubeconfig'}), true],
    ['local, one region', testEnvironment(), false],
    ['aws, two regions (member names need the private zone)', twoRegions({provider: 'aws'}), false],
    ['gcp, two regions', twoRegions({provider: 'gcp'}), false],
  ])('%s: spans the regions = %s', (_what, env, spans) => {
    expect(restoredSetSpansRegions(env)).toBe(spans)
  })

  test('rendered per region like the live set: the StatefulSet in both, member Services in their own region, schema-valid', async () => {
    const catalog = await loadCatalog()
    const database = catalog.byName('visitors-db') as ServiceDescriptor
    const env = twoRegions()
    const objects = await renderRestoredSet({database, set: 'visitors-db-rk3x9', namespace: 'mygate-data', backupId: 'b1', acrossRegions: true, activeRegion: 'west'}, env, catalog)
    await validateObjects(objects)
    const names = (region: string) => objectsForRegion(objects, region).map((o) => `${o.kind}/${o.metadata.name}`).sort()
    // Locally too, the cross-region members are admitted by the other region's Pod range (member-network.ts).
    const shared = ['NetworkPolicy/visitors-db-rk3x9', 'NetworkPolicy/visitors-db-rk3x9-backup', 'NetworkPolicy/visitors-db-rk3x9-cross-region', 'NetworkPolicy/visitors-db-rk3x9-cross-region-jobs', 'NetworkPolicy/visitors-db-rk3x9-db-ops', 'PodDisruptionBudget/visitors-db-rk3x9', 'Service/visitors-db-rk3x9', 'StatefulSet/visitors-db-rk3x9']
    for (const region of ['west', 'east']) {
      expect(names(region)).toEqual([...shared, ...[0, 1, 2].map((i) => `Service/visitors-db-rk3x9-${region}-${i}`)].sort())
    }
    const sts = objects.find((o) => o.kind === 'StatefulSet') as KubeObject & {spec: {replicas: number}}
    expect(sts.spec.replicas).toBe(3)
    const member = objects.find((o) => o.metadata.name === 'visitors-db-rk3x9-east-2') as KubeObject & {spec: {selector: Record<string, string>}}
    expect(member.spec.selector).toEqual({'statefulset.kubernetes.io/pod-name': 'visitors-db-rk3x9-2'})
    for (const o of objects) expect(o.metadata.labels).toMatchObject({'mygate.dev/restored-set': 'visitors-db-rk3x9'})
  })

  test('on aws, the -cross-region policies of the live set, one per region, under the set name', async () => {
    const catalog = await loadCatalog()
    const database = catalog.byName('visitors-db') as ServiceDescriptor
    const env = twoRegions({provider: 'aws', regions: {primary: 'eu-west-1', secondary: 'eu-central-1'}})
    const objects = await renderRestoredSet({database, set: 'visitors-db-rk3x9', namespace: 'mygate-data', backupId: 'b1', acrossRegions: true}, env, catalog)
    const policies = (region: string) => objectsForRegion(objects, region).filter((o) => o.kind === 'NetworkPolicy' && String(o.metadata.name).includes('cross-region')).map((o) => o.metadata.name)
    expect(policies('eu-west-1')).toEqual(['visitors-db-rk3x9-cross-region', 'visitors-db-rk3x9-cross-region-jobs'])
    expect(policies('eu-central-1')).toEqual(['visitors-db-rk3x9-cross-region', 'visitors-db-rk3x9-cross-region-jobs'])
    const member = objects.find((o) => o.metadata.name === 'visitors-db-rk3x9-eu-west-1-0') as KubeObject & {spec: {type: string}}
    expect(member.spec.type).toBe('LoadBalancer')
  })

  test.each([
    ['every member serving', ['PRIMARY', 'SECONDARY', 'SECONDARY', 'SECONDARY'], []],
    ['one still in initial sync', ['PRIMARY', 'SECONDARY', 'STARTUP2', 'SECONDARY'], ['b1:27017 (STARTUP2)']],
    ['one not in the config yet', ['PRIMARY', 'SECONDARY', 'SECONDARY'], ['b2:27017 (not in the config)']],
  ])('the span waits while members are not serving: %s', (_what, states, waiting) => {
    const hosts = ['a0:27017', 'a1:27017', 'b1:27017', 'b2:27017']
    const topology = {set: 's', port: 27017, primaryRegion: 'a', members: hosts.map((host, i) => ({host, region: host[0], ordinal: i, pod: `s-${i}`, priority: 1, votes: 1 as const}))}
    const status = {members: states.map((state, i) => ({host: hosts[i], state}))} as never
    expect(membersNotServing(status, topology)).toEqual(waiting)
  })
})

describe('which set a service reads, through a restore run', () => {
  const run = (input: {switch?: boolean; outcome?: RestoreRun['outcome']; done?: RestoreStepKind[]; previous?: string}): RestoreRun => ({
    schemaVersion: 1,
    id: 'rs-20261203-091500-cd34',
    request: {environment: 'rr', service: 'visitors', database: 'visitors-db', backupId: 'b', switch: input.switch ?? true},
    restoredSet: 'visitors-db-rcd34',
    previousSet: input.previous ?? 'visitors-db',
    startedAt: '2026-12-03T09:15:00Z',
    outcome: input.outcome ?? 'running',
    who: 'me',
    steps: RESTORE_STEPS.map((kind) => ({kind, status: input.done?.includes(kind) ? 'done' : 'pending'})),
  })
  test.each<[string, RestoreRun | undefined, string]>([
    ['no restore', undefined, 'visitors-db'],
    ['killed during restore-beside', run({}), 'visitors-db'],
    ['killed after stop-writes, before the switch', run({done: ['restore-beside', 'prove', 'confirm', 'stop-writes']}), 'visitors-db'],
    ['killed after the switch, before the restart', run({done: ['restore-beside', 'prove', 'confirm', 'stop-writes', 'switch']}), 'visitors-db-rcd34'],
    ['finished', run({outcome: 'succeeded', done: [...RESTORE_STEPS]}), 'visitors-db-rcd34'],
    ['finished --no-switch', run({switch: false, outcome: 'succeeded'}), 'visitors-db'],
    ['undone', run({outcome: 'undone', done: [...RESTORE_STEPS]}), 'visitors-db'],
    ['undone, after an earlier restore it had replaced', run({outcome: 'undone', previous: 'visitors-db-rab12', done: [...RESTORE_STEPS]}), 'visitors-db-rab12'],
    ['killed during restore-beside, after an earlier restore', run({previous: 'visitors-db-rab12'}), 'visitors-db-rab12'],
  ])('%s -> %s', (_what, stored, set) => {
    expect(setServiceReads(stored, 'visitors-db')).toBe(set)
  })
})

describe('where the next slice starts after a timeline break', () => {
  const slice = (last: string, firstAt: string) => ({range: {last}, firstAt})
  const base = (last: string, startedAt: string) => ({oplog: {last}, startedAt})
  test.each([
    ['no break: the newest capture', [slice('130:2', '2026-12-03T10:05:00Z')], [base('120:1', '2026-12-03T10:01:00Z')], [], {seconds: 130, ordinal: 2}],
    // The old set's slice is newer than the restored set's base, but it is of another timeline.
    ['an old slice newer than the new base', [slice('150:1', '2026-12-03T09:58:00Z')], [base('90:1', '2026-12-03T09:00:00Z'), base('120:1', '2026-12-03T10:01:00Z')], ['2026-12-03T10:00:00Z'], {seconds: 120, ordinal: 1}],
    ['a slice since the break', [slice('150:1', '2026-12-03T09:58:00Z'), slice('130:2', '2026-12-03T10:05:00Z')], [base('120:1', '2026-12-03T10:01:00Z')], ['2026-12-03T10:00:00Z'], {seconds: 130, ordinal: 2}],
    ['two breaks (switch, then undo): the newest counts', [], [base('120:1', '2026-12-03T10:01:00Z'), base('140:1', '2026-12-03T11:01:00Z')], ['2026-12-03T10:00:00Z', '2026-12-03T11:00:00Z'], {seconds: 140, ordinal: 1}],
    ['no base since the break', [slice('150:1', '2026-12-03T09:58:00Z')], [base('90:1', '2026-12-03T09:00:00Z')], ['2026-12-03T10:00:00Z'], undefined],
  ])('%s', (_what, slices, backups, breaks, start) => {
    expect(sliceStartOf({slices, backups, breaks: breaks.map((at) => ({at}))})).toEqual(start)
  })
})

describe('slices and schedules of a restored set', () => {
  const location: ArchiveLocation = {provider: 'local', bucket: 'mygate-rr-west-backups', key: 'k'}
  test('the slice Job is labelled with the set it reads, so that set\'s NetworkPolicy admits it', () => {
    const job = renderOplogSliceJob({sliceId: 'x-visitors-abc123', database: 'visitors-db', image: 'mongo:7.0', toolsSecret: 'visitors-db-rk3x9-backup-tools', targetSet: 'visitors-db-rk3x9', location, from: {seconds: 1, ordinal: 1}, sizeLimit: '1Gi'})
    expect(job.metadata.labels).toMatchObject({'mygate.dev/database': 'visitors-db', 'mygate.dev/target-set': 'visitors-db-rk3x9'})
    expect(((job.spec as {template: {metadata: {labels: Record<string, string>}}}).template.metadata.labels)['mygate.dev/target-set']).toBe('visitors-db-rk3x9')
  })

  test.each([
    ['the live set', undefined, 'visitors-db-backup-tools', undefined],
    ['a restored set the service was switched to', 'visitors-db-rk3x9', 'visitors-db-rk3x9-backup-tools', 'visitors-db-rk3x9'],
  ])('CronJobs reading %s', (_what, set, secret, label) => {
    const schedules = [{service: 'visitors', database: 'visitors-db', rpo: '30m', base: {schedule: '0 2 * * *', timeZone: 'UTC', overridden: false}, slices: {schedule: '*/15 * * * *', intervalMinutes: 15}, verify: {schedule: '45 2 * * 0', overridden: false}}]
    const cronJobs = renderBackupCronJobs({schedules, region: 'west', locate: (key) => ({...location, key}), ...(set ? {setOf: () => set} : {})})
    expect(cronJobs.map((c) => c.metadata.name)).toEqual(['visitors-db-backup', 'visitors-db-oplog-slice', 'visitors-db-verify'])
    // The verify CronJob reads the bucket, never a set: only the dump and the slice follow the switch.
    for (const cronJob of cronJobs.filter((c) => c.metadata.name !== 'visitors-db-verify')) {
      const template = (cronJob.spec as {jobTemplate: {spec: {template: {metadata: {labels: Record<string, string>}; spec: {volumes: Array<{name: string; secret?: {secretName: string}}>}}}}}).jobTemplate.spec.template
      expect(template.spec.volumes.find((v) => v.name === 'tools-config')?.secret?.secretName).toBe(secret)
      expect(template.metadata.labels['mygate.dev/target-set']).toBe(label)
    }
  })
})

describe('room for a restored set', () => {
  test.each([
    ['storage short (claims and pods to spare)', {'requests.storage': '242Gi', persistentvolumeclaims: '30'}, {'requests.storage': '242Gi', persistentvolumeclaims: '25'}, 'mygate-data in west has room for 0Mi more storage (quota q: 242Gi of 242Gi requested); the restored set needs 30Gi there'],
    ['storage enough', {'requests.storage': '272Gi'}, {'requests.storage': '242Gi'}, undefined],
  ])('%s', (_what, hard, used, message) => {
    expect(quotaShortfall([{name: 'q', hard, used}], 3, 'mygate-data', 'west', '10Gi')).toBe(message)
  })

  test.each(['dev', 'staging', 'prod'] as const)('the %s data quota holds the live sets and one restored set of the largest database', async (tier) => {
    const catalog = await loadCatalog()
    const data = catalog.services.filter((s) => s.kind !== 'app')
    const bytes = (s: ServiceDescriptor) => s.tiers[tier].replicas * memoryBytes(s.tiers[tier].storage ?? '0Gi')
    const live = data.reduce((sum, s) => sum + bytes(s), 0)
    const largest = Math.max(...data.filter((s) => s.kind === 'mongodb').map(bytes))
    const quota = quotaFor(catalog, tier, 'data')
    expect(memoryBytes(quota.requestsStorage as string)).toBeGreaterThanOrEqual(live + largest)
    const claims = data.reduce((sum, s) => sum + s.tiers[tier].replicas, 0)
    const members = Math.max(...data.filter((s) => s.kind === 'mongodb').map((s) => s.tiers[tier].replicas))
    expect(quota.persistentVolumeClaims).toBeGreaterThanOrEqual(claims + members)
  })
})
