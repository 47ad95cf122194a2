import {deserialize, type Timestamp} from 'bson'
import {execa} from 'execa'
import {gunzipSync, gzipSync} from 'node:zlib'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {LocalObjectStore} from '../../src/backup/storage/local-store.js'
import {listAll, readSmallObject} from '../../src/backup/storage/object-store.js'
import {readBsonFile} from '../../src/formats/bson-file/bson-file.js'
import {CLI_BIN, expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalEnvironment, type LocalHome} from '../helpers/local-home.js'

/**
 * `mygate backup restore` through the built CLI on a local dev environment (one region), with
 * `--service visitors`, checked with real kubectl: the service reads the set its connection
 * Secret names, so that Secret, the visitors Deployment and the restored sets' StatefulSets are
 * what each test looks at. Bad input and refusals leave the Secret on the live set and create no
 * set; --no-switch leaves a set to read (no secret value printed) that --abandon removes; a
 * restore killed during restore-beside leaves the live set serving and a re-run resumes it to the
 * switch; --undo switches back and counts the writes the restored set took.
 */
const compareStamps = (a: string, b: string): number => {
  const [as, ai] = a.split(':').map(Number)
  const [bs, bi] = b.split(':').map(Number)
  return as - bs || ai - bi
}

describe('mygate backup restore (local environment)', () => {
  let local: LocalHome
  let kubeconfig: string
  let good: string
  let goodConsistentAt: string
  const kubectl = (...args: string[]) => runKubectl(args, {kubeconfig})
  const secretUri = async () => Buffer.from((await kubectl('get', 'secret', 'visitors-db-credentials', '-n', 'mygate', '-o', 'jsonpath={.data.uri}')).stdout, 'base64').toString('utf8')
  const readsSet = async () => new URLSearchParams((await secretUri()).split('?')[1]).get('replicaSet')
  const restoredSets = async () => (await kubectl('get', 'statefulsets', '-n', 'mygate-data', '-l', 'mygate.dev/restored-set', '-o', 'jsonpath={.items[*].metadata.name}')).stdout.trim()
  const visitorsReplicas = async () => (await kubectl('get', 'deployment', 'visitors', '-n', 'mygate', '-o', 'jsonpath={.status.readyReplicas}')).stdout
  /** The live set's documents: they only ever grow under the simulated workload, never shrink. */
  const liveDocuments = async () => {
    const run = await local.cli(['db', 'status', '--env', 'demo', '--service', 'visitors', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const text = run.stdout
    const counts = [...text.matchAll(/"count":\s*(\d+)/g)].map((m) => Number(m[1]))
    return counts.reduce((a, b) => a + b, 0)
  }
  const backupOfVisitors = async (): Promise<{id: string; oplogLast: string}> => {
    const run = await local.cli(['backup', 'create', '--env', 'demo', '--service', 'visitors', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    return parseEnvelope<{result: {backups: Array<{id: string; oplogLast: string}>}}>(run.stdout).result.backups[0]
  }
  const expectLiveUntouched = async (documentsBefore: number) => {
    expect(await readsSet()).toBe('visitors-db')
    expect(await visitorsReplicas()).toBe('1')
    expect(await liveDocuments()).toBeGreaterThanOrEqual(documentsBefore)
  }

  beforeAll(async () => {
    ;({local, kubeconfig} = await createLocalEnvironment('demo'))
    ;({id: good, oplogLast: goodConsistentAt} = await backupOfVisitors())
  }, 180_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test.each<[string[], number, RegExp]>([
    [['nope-id'], 3, /^Error: backup nope-id of visitors does not exist \(list them with `mygate backup list --service visitors` \(the newest is \S+-visitors-\w+\)\)$/],
    [['--to-time', '2999-01-01T00:00:00Z'], 2, /^Error: --to-time 2999-01-01T00:00:00Z is in the future \(now is .*\); the restorable window of visitors is .* \(\d+:\d+\) to .* \(\d+:\d+\)/],
    [['--to-time', '1000000000:0'], 2, /^Error: 1000000000:0 is outside the restorable window: 20\d\d-.* \(\d+:\d+\) to .* \(\d+:\d+\)/],
    [['--to-time', '17:x'], 2, /^Error: --to-time "17:x" is neither an RFC 3339 time nor an oplog timestamp/],
    [['--service', 'gateway'], 2, /^Error: gateway has no database to back up/],
    [['--service', 'redis'], 2, /^Error: redis is not backed up/],
    [['--undo'], 2, /^Error: visitors has no restore to undo/],
    [['--abandon'], 2, /^Error: there is no unfinished restore of visitors to abandon/],
    [['--undo', 'some-id'], 2, /^Error: --undo acts on the stored restore of the service; backup some-id does not go with it/],
    [['--confirm', 'other'], 2, /^Error: --confirm "other" does not match "demo"/],
  ])('bad input %j exits %i with one line; the live set is untouched', async (args, code, message) => {
    const before = await liveDocuments()
    const service = args[0] === '--service' ? [] : ['--service', 'visitors']
    const run = await local.cli(['backup', 'restore', '--env', 'demo', ...service, ...args])
    expect(run.exitCode, run.stderr).toBe(code)
    expect(expectOneLineError(run)).toMatch(message)
    await expectLiveUntouched(before)
    expect(await restoredSets()).toBe('')
  }, 60_000)

  test('a failover holding the environment lock refuses the restore, naming the holder', async () => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, '.000000Z')
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'mygate-environment-lock',
        namespace: 'mygate-system',
        labels: {'app.kubernetes.io/managed-by': 'mygate', 'mygate.dev/lock': 'environment', 'mygate.dev/environment': 'demo'},
        annotations: {'mygate.dev/lock-scope': JSON.stringify({kind: 'environment', operation: 'failover'})},
      },
      spec: {holderIdentity: 'ci@build-7:4242', leaseDurationSeconds: 600, acquireTime: now, renewTime: now},
    }
    const applied = await runKubectl(['apply', '-f', '-'], {kubeconfig, input: JSON.stringify(lease)})
    expect(applied.exitCode, applied.stderr).toBe(0)
    try {
      const before = await liveDocuments()
      const run = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', good])
      expect(run.exitCode, run.stderr).toBe(6)
      expect(expectOneLineError(run)).toMatch(/ci@build-7:4242/)
      await expectLiveUntouched(before)
      expect(await restoredSets()).toBe('')
      expect((await kubectl('get', 'configmap', 'mygate-restore-visitors', '-n', 'mygate-system', '--ignore-not-found', '-o', 'name')).stdout.trim()).toBe('')
    } finally {
      await kubectl('delete', 'lease', 'mygate-environment-lock', '-n', 'mygate-system')
    }
  }, 60_000)

  test('a corrupted archive: the restore refuses naming the collection, the live set untouched; --abandon removes the half-made set', async () => {
    const {id: corrupted} = await backupOfVisitors()
    const listed = await local.cli(['backup', 'list', '--env', 'demo', '--json'])
    const bucket = await LocalObjectStore.open({mygateHome: local.home, bucket: parseEnvelope<{result: {store: string}}>(listed.stdout).result.store.replace('local://', '')})
    const key = `backups/visitors/base/${corrupted}/archive.gz`
    const raw = gunzipSync(await readSmallObject(bucket, key))
    raw[raw.indexOf(Buffer.from('_id')) + 8] ^= 0xff
    await bucket.put(key, gzipSync(raw))
    const before = await liveDocuments()
    const run = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', corrupted])
    expect(run.exitCode, run.stderr).not.toBe(0)
    const error = run.stderr.trimEnd().split('\n').at(-1) as string
    expect(run.stderr).not.toMatch(/^\s+at /m)
    expect(error).toMatch(/^Error: .*visitors\.\w+.*(CRC|checksum)/i)
    await expectLiveUntouched(before)
    const abandoned = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', '--abandon'])
    expect(abandoned.exitCode, abandoned.stderr).toBe(0)
    expect(abandoned.stdout).toMatch(/^visitors: restore rs-\S+ abandoned; visitors-db-r\w{4} removed; visitors reads visitors-db$/m)
    expect(await restoredSets()).toBe('')
  }, 180_000)

  test('--dry-run prints the steps and changes nothing', async () => {
    const run = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', good, '--dry-run'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toContain(`would restore visitors-db (visitors) from backup ${good} into visitors-db-r????: restore-beside -> prove -> confirm -> stop-writes -> switch -> restart -> resume-writes -> record`)
    expect(run.stdout.trim().split('\n').at(-1)).toBe('Result: DRY RUN — demo: nothing was changed.')
    expect(await restoredSets()).toBe('')
    expect(await readsSet()).toBe('visitors-db')
  }, 60_000)

  test('--no-switch --to-time (an oplog timestamp) restores beside the live set and prints where, never a secret value; --abandon removes it', async () => {
    // The backup's consistent point: the newest base at or before it, replayed up to it (included).
    const run = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', '--to-time', goodConsistentAt, '--no-switch'])
    expect(run.exitCode, run.stderr).toBe(0)
    const set = (await restoredSets()).trim()
    expect(set).toMatch(/^visitors-db-r\w{4}$/)
    expect(run.stdout).toContain(`visitors: backup ${good} (last operation applied ${goodConsistentAt}) restored into ${set}`)
    expect(run.stdout).toMatch(new RegExp(`^  ${set}: members ${set}-0\\.${set}\\.mygate-data\\.svc\\.cluster\\.local:27017; credentials in Secret mygate-data/${set}-credentials$`, 'm'))
    expect(run.stdout.trim().split('\n').at(-1)).toBe('Result: SUCCESS — demo: visitors reads visitors-db.')
    const password = Buffer.from((await kubectl('get', 'secret', `${set}-credentials`, '-n', 'mygate-data', '-o', 'jsonpath={.data.root-password}')).stdout, 'base64').toString('utf8')
    expect(password.length).toBeGreaterThan(8)
    expect(run.stdout + run.stderr).not.toContain(password)
    expect(await readsSet()).toBe('visitors-db')
    // A second restore would forget this set: refused until it is removed.
    const again = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', good])
    expect(again.exitCode).toBe(6)
    expect(expectOneLineError(again)).toContain(`kept ${set} beside visitors-db`)
    const abandoned = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', '--abandon'])
    expect(abandoned.exitCode, abandoned.stderr).toBe(0)
    expect(await restoredSets()).toBe('')
  }, 120_000)

  test('--to-time between two writes past the backup: the oplog slice is replayed up to the later one, which is absent, the earlier present', async () => {
    // A base backup of its own (earlier tests leave other ones, a corrupted one among them), writes
    // after it, then a slice that captures them.
    const base = await backupOfVisitors()
    // At least two writes after it (the workload only inserts, so the count tells): polled, not slept.
    const atBase = await liveDocuments()
    const deadline = Date.now() + 60_000
    while ((await liveDocuments()) < atBase + 2) {
      expect(Date.now(), 'visitors-db took fewer than two writes in a minute').toBeLessThan(deadline)
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    const sliced = await local.cli(['backup', 'create', '--env', 'demo', '--service', 'visitors', '--oplog-slice', '--json'])
    expect(sliced.exitCode, sliced.stderr).toBe(0)
    const listed = parseEnvelope<{result: {store: string}}>((await local.cli(['backup', 'list', '--env', 'demo', '--json'])).stdout).result
    const store = await LocalObjectStore.open({mygateHome: local.home, bucket: listed.store.replace('local://', '')})
    const keys: string[] = []
    for await (const object of listAll(store, 'backups/visitors/oplog/')) if (object.key.endsWith('.bson.gz')) keys.push(object.key)
    expect(keys.length).toBeGreaterThan(0)
    // The oplog entries of the newest slice, as the restore will replay them.
    const entries = readBsonFile(gunzipSync(await readSmallObject(store, keys.sort().at(-1) as string))).map((bytes) => deserialize(bytes).ts as Timestamp)
    const stamps = entries.map((ts) => `${ts.t}:${ts.i}`).filter((stamp) => compareStamps(stamp, base.oplogLast) > 0)
    expect(stamps.length, 'writes after the backup').toBeGreaterThan(1)
    // Two writes in the same second if there are any: only the oplog timestamp tells them apart.
    const index = Math.max(1, stamps.findIndex((stamp, i) => i > 0 && stamp.split(':')[0] === stamps[i - 1].split(':')[0]))
    const [earlier, later] = [stamps[index - 1], stamps[index]]

    // --to-time names the last operation to apply (included); mongorestore gets the next one as its
    // exclusive --oplogLimit, which must not pass the later write.
    const run = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', '--to-time', earlier, '--no-switch', '--json'])
    expect(run.exitCode, run.stderr + run.stdout).toBe(0)
    const [restore] = parseEnvelope<{result: {restores: Array<{backupId: string; oplogLimit: string; lastAppliedOp: string; outcome: string}>}}>(run.stdout).result.restores
    // The proof compared the restored set with what the archive plus the slice give up to there.
    expect(restore).toMatchObject({backupId: base.id, lastAppliedOp: earlier, outcome: 'succeeded'})
    expect(compareStamps(restore.oplogLimit, earlier)).toBeGreaterThan(0)
    expect(compareStamps(restore.oplogLimit, later)).toBeLessThanOrEqual(0)
    const abandoned = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', '--abandon'])
    expect(abandoned.exitCode, abandoned.stderr).toBe(0)
    expect(await readsSet()).toBe('visitors-db')
  }, 180_000)

  test('a restore killed during restore-beside leaves the live set serving; the re-run resumes and switches; --undo switches back and counts the writes', async () => {
    const before = await liveDocuments()
    const first = execa(process.execPath, [CLI_BIN, 'backup', 'restore', '--env', 'demo', '--service', 'visitors', good], {env: {...local.env, NO_COLOR: '1'}, reject: false, stdin: 'ignore'})
    let stderr = ''
    first.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const deadline = Date.now() + 60_000
    while (!/\[provision\]/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(stderr).toMatch(/\[provision\] visitors-db-r\w{4}/)
    first.kill('SIGKILL')
    await first
    const run = JSON.parse((await kubectl('get', 'configmap', 'mygate-restore-visitors', '-n', 'mygate-system', '-o', 'jsonpath={.data.run\\.json}')).stdout) as {steps: Array<{kind: string; status: string}>; restoredSet: string}
    expect(run.steps.map((s) => `${s.kind}:${s.status}`).slice(0, 2)).toEqual(['restore-beside:running', 'prove:pending'])
    await expectLiveUntouched(before)

    const resumed = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', good])
    expect(resumed.exitCode, resumed.stderr).toBe(0)
    expect(resumed.stdout).toContain(`restored into ${run.restoredSet} (resumed)`)
    expect(resumed.stdout.trim().split('\n').at(-1)).toBe(`Result: SUCCESS — demo: visitors reads ${run.restoredSet}.`)
    expect(await readsSet()).toBe(run.restoredSet)
    expect(await visitorsReplicas()).toBe('1')
    // The simulated traffic re-reads which set each service writes to every 2 s (timing.ts,
    // trafficRefreshMs): past one refresh, only the restored set takes writes.
    await new Promise((r) => setTimeout(r, 2500))
    const frozen = await liveDocuments()

    // The restored set takes the service's writes now; the old set takes none.
    await new Promise((r) => setTimeout(r, 3000))
    expect(await liveDocuments()).toBe(frozen)
    const undone = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', '--undo', '--json'])
    expect(undone.exitCode, undone.stderr).toBe(0)
    const summary = parseEnvelope<{result: {restores: Array<{serviceReads: string; writesSinceSwitch: number}>}}>(undone.stdout).result.restores[0]
    expect(summary.serviceReads).toBe('visitors-db')
    // The simulated visitors traffic may write nothing in these few seconds; that the count is
    // right is proven with scripted writes in test/integration/backup/restore-switch.test.ts.
    expect(summary.writesSinceSwitch).toBeGreaterThanOrEqual(0)
    expect(await readsSet()).toBe('visitors-db')
    // The restored set is kept with its writes.
    expect(await restoredSets()).toBe(run.restoredSet)
    const again = await local.cli(['backup', 'restore', '--env', 'demo', '--service', 'visitors', '--undo'])
    expect(again.exitCode).toBe(2)
    expect(expectOneLineError(again)).toMatch(/was already undone/)
  }, 240_000)
})
