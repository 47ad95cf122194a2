import {createPrivateKey, createPublicKey} from 'node:crypto'
import {describe, expect, test} from 'vitest'

import {isValidKeyFile, publicKeyOf, randomValue} from '../../../src/secrets/generators.js'
import {mongoUri, replicaSetTopology} from '../../../src/secrets/mongo-uri.js'
import {testService} from '../../helpers/builders.js'

describe('generated values', () => {
  test('the replica-set key file is 1008 base64 characters mongod accepts (no "=" padding)', () => {
    const key = randomValue('mongodb-keyfile')
    expect(key).toHaveLength(1008)
    expect(key).toMatch(/^[A-Za-z0-9+/]+$/)
    expect(isValidKeyFile(key)).toBe(true)
  })

  test.each([
    ['abcdef', true, 'the shortest key (6)'],
    ['abcde', false, 'one character short'],
    ['a'.repeat(1024), true, 'the longest key (1024)'],
    ['a'.repeat(1025), false, 'one character too long'],
    ['abc+/9XYZ', true, 'the whole base64 alphabet'],
    ['abcdef==', false, 'padding: mongod rejects "="'],
    ['abc def', false, 'whitespace'],
    ['abc-def_', false, 'base64url characters'],
  ])('key file %j: %s (%s)', (text, valid) => {
    expect(isValidKeyFile(text)).toBe(valid)
  })

  test('passwords are 256-bit base64url, usernames letters and digits; no two are alike', () => {
    const passwords = new Set(Array.from({length: 50}, () => randomValue('password')))
    expect(passwords.size).toBe(50)
    for (const password of passwords) expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const user = randomValue('username')
    expect(user).toMatch(/^root-[0-9a-f]{12}$/)
    expect(randomValue('username')).not.toBe(user)
  })

  test('the JWT key pair: a PKCS#8 RSA private key and its SPKI public key', () => {
    const privatePem = randomValue('rsa-private-key')
    expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    const key = createPrivateKey(privatePem)
    expect(key.asymmetricKeyType).toBe('rsa')
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048)
    const publicPem = publicKeyOf(privatePem)
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/)
    expect(createPublicKey(publicPem).export({format: 'jwk'})).toEqual(createPublicKey(key).export({format: 'jwk'}))
  })
})

describe('MongoDB connection strings', () => {
  const members = (n: number) => Array.from({length: n}, (_, i) => ({host: `db-${i}.db.mygate-data.svc.cluster.local`, port: 27017}))

  test.each([
    ['one member', {replicaSet: 'db', members: members(1)}, {username: 'u', password: 'p'}, 'mongodb://u:p@db-0.db.mygate-data.svc.cluster.local:27017/billing?replicaSet=db&authSource=admin'],
    [
      'three members, in order',
      {replicaSet: 'db', members: members(3)},
      {username: 'u', password: 'p'},
      'mongodb://u:p@db-0.db.mygate-data.svc.cluster.local:27017,db-1.db.mygate-data.svc.cluster.local:27017,db-2.db.mygate-data.svc.cluster.local:27017/billing?replicaSet=db&authSource=admin',
    ],
    ['reserved characters percent-encoded', {replicaSet: 'rs', members: [{host: 'h', port: 1}]}, {username: 'a@b', password: 'p:/?#[]@%'}, 'mongodb://a%40b:p%3A%2F%3F%23%5B%5D%40%25@h:1/billing?replicaSet=rs&authSource=admin'],
  ])('%s', (_what, topology, credentials, expected) => {
    expect(mongoUri(topology, credentials, 'billing')).toBe(expected)
  })

  test('a replica set without members has no connection string', () => {
    expect(() => mongoUri({replicaSet: 'rs', members: []}, {username: 'u', password: 'p'}, 'x')).toThrow('replica set rs has no members')
  })

  test.each([
    ['dev', 1],
    ['staging', 3],
    ['prod', 5],
  ] as const)('the %s topology has one member per replica of the tier (%i)', (tier, count) => {
    const tierSettings = (replicas: number) => ({replicas, resources: {requests: {cpu: '1', memory: '1Gi'}, limits: {cpu: '1', memory: '1Gi'}}})
    const db = testService({name: 'billing-db', kind: 'mongodb', port: 27017, tiers: {dev: tierSettings(1), staging: tierSettings(3), prod: tierSettings(5)}})
    const topology = replicaSetTopology(db, {tier})
    expect(topology.replicaSet).toBe('billing-db')
    expect(topology.members).toHaveLength(count)
    expect(topology.members.at(-1)).toEqual({host: `billing-db-${count - 1}.billing-db.mygate-data.svc.cluster.local`, port: 27017})
  })
})
