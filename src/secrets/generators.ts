import {createPublicKey, generateKeyPairSync, randomBytes} from 'node:crypto'

import type {SecretGenerator} from '../catalog/types.js'

/**
 * How mygate makes secret values. Random values come from node:crypto's CSPRNG and are made once
 * (`env create` when absent); derived values are rebuilt from other values every time
 * (src/secrets/plan.ts), so they follow their inputs.
 */

export type DerivedGenerator = Extract<SecretGenerator, 'rsa-public-key' | 'mongodb-uri'>
export type RandomGenerator = Exclude<SecretGenerator, DerivedGenerator>

export function isDerived(generator: SecretGenerator): generator is DerivedGenerator {
  return generator === 'rsa-public-key' || generator === 'mongodb-uri'
}

/**
 * MongoDB's key file rule (https://www.mongodb.com/docs/manual/core/security-internal-authentication/#keyfiles
 * and the "Deploy a replica set with keyfile authentication" tutorial): "A key's length must be
 * between 6 and 1024 characters and may only contain characters in the base64 set." The `=`
 * padding character is in the base64 alphabet but mongod rejects it (MongoDB DOCS-5113), so it is
 * left out here too.
 */
export const KEY_FILE_MIN_LENGTH = 6
export const KEY_FILE_MAX_LENGTH = 1024
const KEY_FILE_CHARSET = /^[A-Za-z0-9+/]+$/

export function isValidKeyFile(text: string): boolean {
  return text.length >= KEY_FILE_MIN_LENGTH && text.length <= KEY_FILE_MAX_LENGTH && KEY_FILE_CHARSET.test(text)
}

/**
 * 756 random bytes encode to exactly 1008 base64 characters with no padding (756 is a multiple
 * of 3): the docs' own example, `openssl rand -base64 756`, without the line breaks.
 */
const KEY_FILE_BYTES = 756

/** A new random value (plain text) for a generator that is not derived. */
export function randomValue(generator: RandomGenerator): string {
  switch (generator) {
    case 'username':
      // Letters and digits only: safe unescaped in a connection string and in any shell.
      return `root-${randomBytes(6).toString('hex')}`
    case 'password':
      // 256 bits; base64url has no characters a URI or a YAML value needs to escape.
      return randomBytes(32).toString('base64url')
    case 'mongodb-keyfile':
      return randomBytes(KEY_FILE_BYTES).toString('base64')
    case 'rsa-private-key':
      // RS256 signing key for the auth service's JWTs (2048 bits, the RFC 7518 minimum).
      return generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  }
}

/** The SPKI PEM public key of a PEM private key (what the gateway verifies JWTs with). */
export function publicKeyOf(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({type: 'spki', format: 'pem'}).toString()
}
