import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, test} from 'vitest'

import {DEFAULT_MIN_REQUESTS} from '../../../src/analysis/sample-size.js'
import {catalogDir, loadCatalog, SERVICES_DIR_ENV} from '../../../src/catalog/load-catalog.js'
import {packagePath} from '../../../src/package-root.js'
import {type CatalogCopy, copyBundledCatalog, lineOf, loadError} from './catalog-fixture.js'

const APPS = ['amenities', 'auth', 'billing', 'gateway', 'maintenance', 'notifications', 'reports', 'users', 'visitors']

describe('the bundled catalog', () => {
  test('loads every app service, one database per data-owning app, and redis', async () => {
    const catalog = await loadCatalog()
    const byKind = (kind: string) => catalog.services.filter((s) => s.kind === kind).map((s) => s.name).sort()
    expect(byKind('app')).toEqual(APPS)
    expect(byKind('mongodb')).toEqual(APPS.filter((name) => name !== 'gateway').map((name) => `${name}-db`).sort())
    expect(byKind('redis')).toEqual(['redis'])
    for (const app of APPS.filter((name) => name !== 'gateway')) {
      expect(catalog.byName(app)?.dependencies.database).toBe(`${app}-db`)
    }
    expect(catalog.byName('gateway')?.dependencies.services.sort()).toEqual(APPS.filter((name) => name !== 'gateway'))
    expect(catalog.byName('gateway')?.dependencies.database).toBeUndefined()
  })

  test('maps YAML type to kind and applies the stated strategies, images and policies', async () => {
    const catalog = await loadCatalog()
    const billing = catalog.byName('billing')
    expect(billing?.kind).toBe('app')
    expect(billing?.rollout.strategy).toBe('blue-green')
    expect(catalog.byName('reports')?.rollout.strategy).toBe('rolling')
    expect(catalog.byName('visitors')?.rollout.strategy).toBe('canary')
    expect(catalog.byName('visitors')?.image.repository).toBe('mygate/visitors')
    expect(catalog.byName('auth-db')?.image).toEqual({repository: 'mongo', tag: '7.0'})
    expect(catalog.byName('redis')?.image).toEqual({repository: 'redis', tag: '7.2'})
    for (const service of catalog.services) {
      expect(service.tiers.dev.replicas, service.name).toBe(1)
      expect(service.rollout.canarySteps.at(-1), service.name).toBe(100)
      // No bundled descriptor states a minimum sample: every one gets the default.
      expect(service.rollout.analysis.minRequests, service.name).toBe(DEFAULT_MIN_REQUESTS)
      expect(service.source.file, service.name).toMatch(new RegExp(`${service.name}\\.yaml$`))
    }
    const spot = catalog.services.filter((s) => s.spot).map((s) => s.name).sort()
    expect(spot).toEqual(['notifications', 'reports'])
  })

  test('data services get TCP probes, storage, a rolling default rollout and (mongodb) a backup schedule', async () => {
    const catalog = await loadCatalog()
    const db = catalog.byName('billing-db')
    expect(db?.probes).toEqual({type: 'tcp', liveness: '', readiness: ''})
    expect(db?.tiers.prod.storage).toBe('100Gi')
    expect(db?.rollout.strategy).toBe('rolling')
    expect(db?.rollout.canarySteps).toEqual([100])
    expect(db?.backup).toEqual({enabled: true, schedule: '5 * * * *', timeZone: 'Asia/Kolkata', retention: '90d', keepDaily: 7, keepWeekly: 4, keepMonthly: 12})
    expect(db?.autoscaling).toBeUndefined()
    expect(catalog.byName('gateway')?.probes).toEqual({type: 'http', liveness: '/healthz', readiness: '/ready'})
  })

  test('secrets are references, never values', async () => {
    const catalog = await loadCatalog()
    for (const service of catalog.services) {
      for (const secret of service.secrets) expect(Object.keys(secret).filter((k) => k !== 'generate').sort()).toEqual(['env', 'key', 'secretName'])
    }
    expect(catalog.byName('billing')?.secrets).toContainEqual({env: 'MONGODB_URI', secretName: 'billing-db-credentials', key: 'uri', generate: 'mongodb-uri'})
    expect(catalog.byName('billing')?.secrets).toContainEqual({env: 'PAYMENT_GATEWAY_KEY_ID', secretName: 'payment-gateway', key: 'key-id'})
    expect(catalog.byName('billing-db')?.secrets.map((s) => s.generate)).toEqual(['username', 'password', 'mongodb-keyfile'])
  })
})

describe('descriptor errors name the file, line and field', () => {
  let copy: CatalogCopy
  beforeEach(async () => {
    copy = await copyBundledCatalog()
  })
  afterEach(async () => {
    await copy.remove()
  })

  const file = (name: string) => join(copy.dir, `${name}.yaml`)

  test('a wrong type', async () => {
    const text = await copy.edit('billing', (t) => t.replace(/( {2}prod:\n {4}replicas:) 3/, '$1 three'))
    const error = await loadError(copy.dir)
    const line = lineOf(text, 'replicas: three')
    expect(error.message).toBe(`${file('billing')}:${line}: tiers.prod.replicas must be an integer between 0 and 100, got "three"`)
    expect(error.details).toMatchObject({line, field: 'tiers.prod.replicas'})
    expect(error.hint).toBeTruthy()
  })

  test('a missing nested field points at its parent key', async () => {
    const text = await copy.edit('visitors', (t) => t.replace('    maxErrorRate: 0.01\n', ''))
    const error = await loadError(copy.dir)
    expect(error.message).toBe(`${file('visitors')}:${lineOf(text, '  analysis:')}: rollout.analysis.maxErrorRate is required`)
  })

  test('a missing top-level field', async () => {
    const text = await copy.edit('auth', (t) => t.replace('port: 8080\n', ''))
    const error = await loadError(copy.dir)
    expect(error.message).toBe(`${file('auth')}:${lineOf(text, 'apiVersion:')}: port is required`)
  })

  test('an unknown key, with the known ones listed', async () => {
    const text = await copy.edit('users', (t) => t.replace('  dev:\n    replicas: 1\n', '  dev:\n    replicas: 1\n    replica: 2\n'))
    const error = await loadError(copy.dir)
    expect(error.message).toBe(
      `${file('users')}:${lineOf(text, 'replica: 2')}: tiers.dev.replica is not a known field (known fields: replicas, resources, storage)`,
    )
  })

  test('every problem of the file is in details, the first by line in the message', async () => {
    const text = await copy.edit('users', (t) => t.replace('port: 8080', 'port: 0').replace('spot: false', 'spot: "no"'))
    const error = await loadError(copy.dir)
    expect(error.message).toMatch(new RegExp(`users\\.yaml:${lineOf(text, 'port: 0')}: port must be an integer between 1 and 65535, got 0 \\(and 1 more problem\\)$`))
    expect(error.details?.problems).toEqual([
      {line: lineOf(text, 'port: 0'), field: 'port', message: 'must be an integer between 1 and 65535, got 0'},
      {line: lineOf(text, 'spot: "no"'), field: 'spot', message: 'must be true or false, got "no"'},
    ])
  })

  test('an unquoted version that YAML reads as a number says to quote it', async () => {
    const text = await copy.edit('redis', (t) => t.replace('tag: "7.2"', 'tag: 7.2'))
    const error = await loadError(copy.dir)
    expect(error.message).toBe(`${file('redis')}:${lineOf(text, 'tag: 7.2')}: image.tag must be an image tag such as "1.4.2", got 7.2 (quote it: "7.2")`)
  })

  test.each([
    ['a bad duration', 'billing', (t: string) => t.replace('stepPause: 10m', 'stepPause: ten minutes'), 'stepPause: ten', 'rollout.stepPause must be a duration'],
    ['a 4-field cron schedule', 'billing-db', (t: string) => t.replace('schedule: "5 * * * *"', 'schedule: "5 * * *"'), 'schedule:', 'backup.schedule must be a 5-field cron schedule'],
    ['a backup time zone that does not exist', 'billing-db', (t: string) => t.replace('timeZone: Asia/Kolkata', 'timeZone: Asia/Bangalore'), 'timeZone: Asia/Bangalore', 'backup.timeZone '],
    ['a negative keep count', 'billing-db', (t: string) => t.replace('keepDaily: 7', 'keepDaily: -1'), 'keepDaily: -1', 'backup.keepDaily must be'],
    ['a fractional keep count', 'users-db', (t: string) => t.replace('keepWeekly: 4', 'keepWeekly: 1.5'), 'keepWeekly: 1.5', 'backup.keepWeekly must be'],
    ['no retention of any kind', 'auth-db', (t: string) => t.replace(/ {2}retention: 14d\n {2}keepDaily: 7\n {2}keepWeekly: 4\n {2}keepMonthly: 3\n/, ''), 'backup:', 'backup.retention is required when backups are enabled (e.g. 7d), unless keepDaily, keepWeekly or keepMonthly keeps some'],
    ['an hour out of range in cron', 'users-db', (t: string) => t.replace('"15 */6 * * *"', '"15 25 * * *"'), 'schedule:', 'backup.schedule must be a 5-field cron'],
    ['canary steps that go down', 'gateway', (t: string) => t.replace('[5, 10, 25, 50, 100]', '[5, 25, 10, 100]'), 'canarySteps:', 'rollout.canarySteps[2] must be greater than the step before it (25), got 10'],
    ['canary steps that stop short of 100', 'auth', (t: string) => t.replace('[10, 25, 50, 100]', '[10, 25, 50]'), 'canarySteps:', 'rollout.canarySteps[2] must end at 100'],
    ['a canary step above 100', 'auth', (t: string) => t.replace('[10, 25, 50, 100]', '[10, 50, 150]'), 'canarySteps:', 'rollout.canarySteps[2] must be an integer between 1 and 100, got 150'],
    ['an error rate above 1', 'auth', (t: string) => t.replace('maxErrorRate: 0.005', 'maxErrorRate: 5'), 'maxErrorRate: 5', 'rollout.analysis.maxErrorRate must be a number between 0 and 1, got 5'],
    ['a minimum sample of no requests', 'billing', (t: string) => t.replace('failureLimit: 1', 'failureLimit: 1\n    minRequests: 0'), 'minRequests: 0', 'rollout.analysis.minRequests must be an integer between 1 and 1000000, got 0'],
    ['a fractional minimum sample', 'visitors', (t: string) => t.replace('failureLimit: 2', 'failureLimit: 2\n    minRequests: 12.5'), 'minRequests: 12.5', 'rollout.analysis.minRequests must be an integer'],
    ['a strategy that does not exist', 'users', (t: string) => t.replace('strategy: canary', 'strategy: big-bang'), 'strategy: big-bang', 'rollout.strategy must be one of rolling, blue-green, canary, got "big-bang"'],
    ['a request above its limit', 'users', (t: string) => t.replace('requests: {cpu: 250m, memory: 256Mi}', 'requests: {cpu: 1500m, memory: 256Mi}'), 'cpu: 1500m', 'tiers.prod.resources.requests.cpu must not exceed limits.cpu (1500m > 1)'],
    ['an even MongoDB replica count', 'auth-db', (t: string) => t.replace(/( {2}prod:[\s\S]*?replicas:) 3/, '$1 2'), 'replicas: 2', 'tiers.prod.replicas must be odd for a MongoDB replica set'],
    ['a database on spot capacity', 'visitors-db', (t: string) => t.replace('spot: false', 'spot: true'), 'spot: true', 'spot must be false for a mongodb service'],
    ['a database canary', 'redis', (t: string) => t.replace('strategy: rolling', 'strategy: canary'), 'strategy: canary', 'rollout.strategy must be rolling for a redis service'],
    ['an app without autoscaling', 'reports', (t: string) => t.replace(/autoscaling:\n( {2}.*\n){3}/, ''), 'apiVersion:', 'autoscaling is required for an app service'],
    ['a secret value instead of a reference', 'billing', (t: string) => t.replace('key: key-secret}', 'key: key-secret, value: hunter2}'), 'value: hunter2', 'secrets[2].value is not a known field'],
    ['a file name that differs from the name', 'maintenance', (t: string) => t.replace('name: maintenance', 'name: repairs'), 'name: repairs', 'name must match the file name "maintenance", got "repairs"'],
    ['a dependency that does not exist', 'visitors', (t: string) => t.replace('[auth, notifications, users]', '[auth, notifications, residents]'), 'services: [auth', 'dependencies.services[2] refers to "residents", which is not in the catalog'],
    ['a database that is a cache', 'billing', (t: string) => t.replace('database: billing-db', 'database: redis'), 'database: redis', 'dependencies.database must name a mongodb database, but "redis" is a redis cache'],
    ['a generate recipe that does not exist', 'redis', (t: string) => t.replace('generate: password}', 'generate: passphrase}'), 'generate: passphrase', 'secrets[0].generate must be one of username, password, mongodb-keyfile'],
    ['a mongodb-uri without a database', 'reports', (t: string) => t.replace('  database: reports-db\n', ''), 'key: uri, generate: mongodb-uri', 'secrets[0].generate mongodb-uri needs dependencies.database'],
    ['two recipes for one key', 'gateway', (t: string) => t.replace('key: password, generate: password}', 'key: password, generate: username}'), 'generate: username}', 'secrets[1].generate must match'],
    ['an external key in a generated Secret', 'billing', (t: string) => t.replace('key-id}', 'key-id}\n  - {env: DB_EXTRA, secretName: billing-db-credentials, key: extra}'), 'key: extra}', 'secrets[2] is an external key of Secret billing-db-credentials, whose other keys mygate generates'],
    ['a public key without its private key', 'gateway', (t: string) => t.replace('secretName: auth-jwt,', 'secretName: auth-jwt-public,'), 'auth-jwt-public', 'secrets[0].generate rsa-public-key is derived from an rsa-private-key key in the same Secret, and auth-jwt-public has none'],
    ['a database shared by two services', 'reports', (t: string) => t.replace('database: reports-db', 'database: billing-db'), 'database: billing-db', 'dependencies.database "billing-db" is already owned by billing'],
  ])('%s', async (_what, name, change, needle, expected) => {
    const text = await copy.edit(name, change)
    const error = await loadError(copy.dir)
    expect(error.message).toContain(`${file(name)}:${lineOf(text, needle)}: ${expected}`)
  })

  test('a connection string whose database declares no generated password names both files', async () => {
    await copy.edit('users-db', (t) => t.replace('key: root-password, generate: password}', 'key: root-password, generate: username}'))
    const users = await readFile(file('users'), 'utf8')
    const error = await loadError(copy.dir)
    expect(error.message).toBe(
      `${file('users')}:${lineOf(users, 'generate: mongodb-uri')}: secrets[0].generate mongodb-uri needs ${file('users-db')} to declare exactly one secret with generate: username (its root credentials), found 2 (and 1 more problem)`,
    )
  })

  test('a dependency cycle is named, at the edge that closes it', async () => {
    const text = await copy.edit('auth', (t) => t.replace('services: []', 'services: [users]'))
    const error = await loadError(copy.dir)
    expect(error.message).toBe(
      `${file('auth')}:${lineOf(text, 'services: [users]')}: dependencies.services[0] closes a dependency cycle: auth -> users -> auth`,
    )
  })

  test('an app whose RPO differs from its database\'s is refused on the app\'s criticality.rpo', async () => {
    const text = await copy.edit('billing', (t) => t.replace('rpo: 1m', 'rpo: 5m'))
    const error = await loadError(copy.dir)
    expect(error.message).toBe(
      `${file('billing')}:${lineOf(text, 'rpo: 5m')}: criticality.rpo is 5m, but its database billing-db has rpo 1m; an app's RPO is its database's (set both to the same value)`,
    )
  })

  test('RPOs compare by value: 60s equals 1m', async () => {
    await copy.edit('billing', (t) => t.replace('rpo: 1m', 'rpo: 60s'))
    const catalog = await loadCatalog({dir: copy.dir})
    expect(catalog.byName('billing')?.criticality.rpo).toBe('60s')
  })

  test('a longer cycle is named in full', async () => {
    await copy.edit('users', (t) => t.replace('services: [auth]', 'services: [auth, visitors]'))
    const error = await loadError(copy.dir)
    expect(error.message).toContain('closes a dependency cycle: notifications -> users -> visitors -> notifications')
  })

  test('malformed YAML', async () => {
    const text = await copy.edit('amenities', (t) => t.replace('services: [auth, billing, users]', 'services: [auth, billing, users'))
    const error = await loadError(copy.dir)
    expect(error.message).toMatch(new RegExp(`^${file('amenities').replaceAll('.', '\\.')}:(\\d+): invalid YAML: `))
    const line = Number(/:(\d+): invalid YAML/.exec(error.message)?.[1])
    // yaml reports an unclosed flow list where it gives up: at or after the opening line.
    expect(line).toBeGreaterThanOrEqual(lineOf(text, 'services: [auth, billing, users'))
  })

  test('an empty descriptor file', async () => {
    await writeFile(file('redis'), '# nothing yet\n')
    const error = await loadError(copy.dir)
    expect(error.message).toBe(`${file('redis')}:1: (document) must be a mapping, got nothing`)
  })
})

describe('where descriptors come from', () => {
  test('the package services/ by default, not the cwd', () => {
    expect(catalogDir({env: {}})).toBe(packagePath('services'))
  })

  test(`${SERVICES_DIR_ENV} overrides the default, and an explicit dir overrides both`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mygate-catalog-env-'))
    try {
      expect(catalogDir({env: {[SERVICES_DIR_ENV]: dir}})).toBe(dir)
      expect(catalogDir({dir: '/elsewhere', env: {[SERVICES_DIR_ENV]: dir}})).toBe('/elsewhere')
      await expect(loadCatalog({env: {[SERVICES_DIR_ENV]: dir}})).rejects.toThrow(`no service descriptors (*.yaml) in ${dir}`)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  test('a directory that does not exist is a usage error naming it', async () => {
    await expect(loadCatalog({dir: '/nonexistent/mygate-services'})).rejects.toThrow(
      'service descriptor directory /nonexistent/mygate-services cannot be read (ENOENT)',
    )
  })
})
