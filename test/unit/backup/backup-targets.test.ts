import {describe, expect, test} from 'vitest'

import {resolveBackupTargets} from '../../../src/backup/operations/backup-targets.js'
import {createCatalog} from '../../../src/catalog/catalog.js'
import {UsageError} from '../../../src/errors.js'
import {testService} from '../../helpers/builders.js'

const catalog = createCatalog([
  testService({name: 'visitors', dependencies: {services: [], database: 'visitors-db'}}),
  testService({name: 'visitors-db', kind: 'mongodb', backup: {enabled: true, schedule: '30 */6 * * *', retention: '30d'}, criticality: {level: 'high', rto: '30m', rpo: '5m'}}),
  testService({name: 'billing', dependencies: {services: [], database: 'billing-db'}}),
  testService({name: 'billing-db', kind: 'mongodb', backup: {enabled: true}}),
  testService({name: 'scratch-db', kind: 'mongodb', backup: {enabled: false}}),
  testService({name: 'gateway', dependencies: {services: ['visitors']}}),
  testService({name: 'redis', kind: 'redis', backup: {enabled: false}, criticality: {level: 'high', rto: '10m', rpo: '24h'}}),
])

describe('resolveBackupTargets', () => {
  test('without --service: every database whose descriptor enables backups, by name', () => {
    expect(resolveBackupTargets(catalog).map((t) => [t.service, t.database, t.dbName])).toEqual([
      ['billing', 'billing-db', 'billing'],
      ['visitors', 'visitors-db', 'visitors'],
    ])
  })

  test.each([
    [['visitors'], ['visitors-db']],
    [['visitors-db'], ['visitors-db']],
    [['visitors', 'visitors-db', 'billing'], ['visitors-db', 'billing-db']],
  ])('--service %j backs up %j', (services, databases) => {
    expect(resolveBackupTargets(catalog, services).map((t) => t.database)).toEqual(databases)
  })

  test('a target carries its schedule, retention and RPO from the descriptor', () => {
    expect(resolveBackupTargets(catalog, ['visitors'])[0]).toEqual({service: 'visitors', database: 'visitors-db', dbName: 'visitors', rpo: '5m', schedule: '30 */6 * * *', retention: '30d'})
  })

  test.each([
    ['gateway', /gateway has no database to back up/, /billing, visitors/],
    ['redis', /redis is not backed up: its descriptor disables backups/, /24h/],
    ['scratch-db', /backups of scratch-db are disabled in its descriptor/, /backup.enabled: true/],
    ['nope', /unknown service "nope"/, /visitors-db/],
  ])('%s is refused with the reason and a hint', (service, message, hint) => {
    let caught: unknown
    try {
      resolveBackupTargets(catalog, [service])
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(UsageError)
    expect((caught as UsageError).message).toMatch(message)
    expect((caught as UsageError).hint).toMatch(hint)
  })
})
