import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {expectOneLineError, parseEnvelope} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'
import {join} from 'node:path'

/**
 * A backup restores into a NEW environment after its own environment is gone (issue 12,
 * "survives the environment"), through the built CLI on the local provider, checked with real
 * kubectl: `old` is created, written to by its services, backed up and destroyed (its backup store
 * is kept); `new` is created in the same home; `backup list --from-env old` reads old's store and
 * `backup restore --env new --from-env old --service visitors` restores old's backup beside new's
 * live set, proves it and switches visitors to it. new's connection Secret keeps new's own
 * generated credentials (the restore Job made them the restored set's application user), and the
 * app, which logs in with them, keeps writing into the restored set.
 */
describe('mygate backup restore --from-env (local)', () => {
  let local: LocalHome
  let backupId: string
  let backupDocuments: number
  const kubeconfig = (env: string) => join(local.home, 'kubeconfig', `${env}.yaml`)
  const secretValue = async (env: string, name: string, key: string, namespace: string) => {
    const run = await runKubectl(['get', 'secret', name, '-n', namespace, '-o', `jsonpath={.data.${key}}`], {kubeconfig: kubeconfig(env)})
    expect(run.exitCode, run.stderr).toBe(0)
    return Buffer.from(run.stdout, 'base64').toString('utf8')
  }
  const uriParts = (uri: string) => {
    const match = /^mongodb:\/\/([^:@/]*):([^@/]*)@[^/]+\/[^?]*\?(.*)$/.exec(uri)
    expect(match, 'a mongodb:// URI with credentials').not.toBeNull()
    const [, user, password, query] = match as RegExpExecArray
    return {user: decodeURIComponent(user), password: decodeURIComponent(password), set: new URLSearchParams(query).get('replicaSet')}
  }

  beforeAll(async () => {
    local = createLocalHome()
    const created = await local.cli(['env', 'create', 'old'])
    expect(created.exitCode, created.stderr).toBe(0)
    // The simulated visitors app writes from its start: back up once it has (a loaded machine may
    // take a few seconds), so the restore below has documents to prove.
    for (const deadline = Date.now() + 60_000; ; ) {
      const status = await local.cli(['db', 'status', '--env', 'old', '--service', 'visitors-db', '--json'])
      expect(status.exitCode, status.stderr).toBe(0)
      const [database] = parseEnvelope<{result: {databases: Array<{collections: Array<{count: number}>}>}}>(status.stdout).result.databases
      if (database.collections.some((c) => c.count > 0)) break
      if (Date.now() > deadline) throw new Error('visitors-db took no writes within 60 s')
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    const backup = await local.cli(['backup', 'create', '--env', 'old', '--service', 'visitors', '--json'])
    expect(backup.exitCode, backup.stderr).toBe(0)
    ;({id: backupId} = parseEnvelope<{result: {backups: Array<{id: string}>}}>(backup.stdout).result.backups[0])
    const destroyed = await local.cli(['env', 'destroy', 'old', '--yes'])
    expect(destroyed.exitCode, destroyed.stderr).toBe(0)
    expect(destroyed.stdout).toContain('backup bucket local://mygate-old-local-1-backups')
    const createdNew = await local.cli(['env', 'create', 'new'])
    expect(createdNew.exitCode, createdNew.stderr).toBe(0)
  }, 300_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('backup list --from-env reads the destroyed environment\'s store', async () => {
    const run = await local.cli(['backup', 'list', '--env', 'new', '--from-env', 'old', '--service', 'visitors', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const result = parseEnvelope<{result: {environment: string; fromEnvironment: string; store: string; backups: Array<{id: string; documents: number}>}}>(run.stdout).result
    expect(result).toMatchObject({environment: 'new', fromEnvironment: 'old', store: 'local://mygate-old-local-1-backups'})
    expect(result.backups.map((b) => b.id)).toEqual([backupId])
    backupDocuments = result.backups[0].documents
    expect(backupDocuments).toBeGreaterThan(0)
  }, 60_000)

  test.each<[string, string[], number, RegExp]>([
    ['list, unknown environment', ['backup', 'list', '--env', 'new', '--from-env', 'nosuch'], 3, /^Error: environment nosuch has no backup site readable from new: looked for local:\/\/mygate-nosuch-local-1-backups \(/],
    ['restore, unknown environment', ['backup', 'restore', '--env', 'new', '--from-env', 'nosuch', '--service', 'visitors'], 3, /^Error: environment nosuch has no backup site readable from new: looked for local:\/\/mygate-nosuch-local-1-backups \(/],
    ['restore, OLD == NEW', ['backup', 'restore', '--env', 'new', '--from-env', 'new', '--service', 'visitors'], 2, /^Error: --from-env new names the environment restored into \(new\) \(restore new's own backups without --from-env/],
    ['restore, no backup of the service there', ['backup', 'restore', '--env', 'new', '--from-env', 'old', '--service', 'billing'], 3, /^Error: environment old has no backup of billing in local:\/\/mygate-old-local-1-backups/],
    ['restore --undo with --from-env', ['backup', 'restore', '--env', 'new', '--from-env', 'old', '--service', 'visitors', '--undo'], 2, /^Error: --undo acts on the stored restore of the service; --from-env old does not go with it/],
  ])('bad input (%s): one line, the exit code, nothing restored', async (_name, args, code, message) => {
    const run = await local.cli(args)
    expect(run.exitCode, run.stderr).toBe(code)
    expect(expectOneLineError(run)).toMatch(message)
    const sets = await runKubectl(['get', 'statefulsets', '-n', 'mygate-data', '-l', 'mygate.dev/restored-set', '-o', 'name'], {kubeconfig: kubeconfig('new')})
    expect(sets.stdout.trim()).toBe('')
  }, 60_000)

  test('restore --env new --from-env old: old\'s documents, served to new\'s app with new\'s own credentials', async () => {
    const credentials = {user: await secretValue('new', 'visitors-db-credentials', 'root-username', 'mygate-data'), password: await secretValue('new', 'visitors-db-credentials', 'root-password', 'mygate-data')}
    const before = uriParts(await secretValue('new', 'visitors-db-credentials', 'uri', 'mygate'))
    expect(before).toEqual({...credentials, set: 'visitors-db'})

    const run = await local.cli(['backup', 'restore', '--env', 'new', '--from-env', 'old', '--service', 'visitors', '--json'], {timeoutMs: 240_000})
    expect(run.exitCode, run.stderr).toBe(0)
    const result = parseEnvelope<{result: {environment: string; fromEnvironment: string; restores: Array<{backupId: string; restoredSet: string; serviceReads: string; outcome: string; proven: {documents: number}}>}}>(run.stdout).result
    expect(result).toMatchObject({environment: 'new', fromEnvironment: 'old'})
    const [restore] = result.restores
    expect(restore).toMatchObject({backupId, outcome: 'succeeded', serviceReads: restore.restoredSet})
    // Exactly old's backup: the proof compared counts and hashes with old's catalog entry.
    expect(restore.proven.documents).toBe(backupDocuments)

    // new's connection string names the restored set, still with new's own credentials; the
    // database Secret is unchanged.
    const after = uriParts(await secretValue('new', 'visitors-db-credentials', 'uri', 'mygate'))
    expect(after).toEqual({...credentials, set: restore.restoredSet})
    expect(await secretValue('new', 'visitors-db-credentials', 'root-password', 'mygate-data')).toBe(credentials.password)
    // The restore Job ended with the app-user step, which created new's user in the restored set.
    const logs = await runKubectl(['logs', '-n', 'mygate-data', '-l', `mygate.dev/target-set=${restore.restoredSet},mygate.dev/op=restore`, '-c', 'app-user', '--tail', '1'], {kubeconfig: kubeconfig('new')})
    expect(logs.exitCode, logs.stderr).toBe(0)
    expect(JSON.parse(logs.stdout.trim().split('\n').at(-1) as string)).toMatchObject({op: 'app-user', ok: true, user: credentials.user, action: 'created'})

    // The app logs in with those credentials (the data plane refuses a wrong password): its
    // writes land in the restored set, which a backup of new (of the set visitors reads) shows.
    let documents = 0
    for (let attempt = 0; attempt < 10 && documents <= backupDocuments; attempt++) {
      const backup = await local.cli(['backup', 'create', '--env', 'new', '--service', 'visitors', '--json'])
      expect(backup.exitCode, backup.stderr).toBe(0)
      documents = parseEnvelope<{result: {backups: Array<{documents: number}>}}>(backup.stdout).result.backups[0].documents
    }
    expect(documents).toBeGreaterThan(backupDocuments)
  }, 300_000)
})
