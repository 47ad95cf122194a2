// mygate database operation "hashes" (mongosh --file; contract: templates/mongodb/ops/README.md).
// Counts and hashes every collection of the application database the way the backup catalog does
// (src/formats/content-hash/content-hash.ts): the hash of a collection is the sum, mod 2^256, of the
// SHA-256 of each document's BSON as the server stores it (field order and types included), so the
// order documents come back in does not matter. Reads only. Used on a restored replica set to prove
// it holds what the backup's catalog entry says.
'use strict'

const OP = 'hashes'
const params = JSON.parse(process.env.OP_PARAMS || '{}')
const crypto = require('crypto')
const MOD = 2n ** 256n

function finish(result, verdict, exitCode) {
  try {
    require('fs').writeFileSync('/dev/termination-log', verdict.slice(0, 4000))
  } catch {
    // The termination message is best effort; the log line below is the result.
  }
  print(JSON.stringify(result))
  quit(exitCode)
}

function authenticate(connection) {
  if (process.env.MONGO_USERNAME) connection.getDB('admin').auth(process.env.MONGO_USERNAME, process.env.MONGO_PASSWORD)
}

// `raw: true` (a Node.js driver find option) hands back each document's BSON bytes untouched:
// decoding and re-encoding would turn a whole double into an int32 and change the hash.
function hashCollection(collection) {
  let sum = 0n
  let count = 0
  collection.find({}, {}, {raw: true}).forEach((bytes) => {
    const digest = crypto.createHash('sha256').update(bytes).digest('hex')
    sum = (sum + BigInt(`0x${digest}`)) % MOD
    count++
  })
  return {count, hash: sum.toString(16).padStart(64, '0')}
}

function main() {
  if (!params.database) throw new Error('OP_PARAMS needs "database": the application database to hash')
  authenticate(db.getMongo())
  const database = db.getSiblingDB(params.database)
  const collections = database
    .getCollectionNames()
    .filter((name) => !name.startsWith('system.'))
    .sort()
    .map((name) => Object.assign({name}, hashCollection(database.getCollection(name))))
  const documents = collections.reduce((total, c) => total + c.count, 0)
  finish({op: OP, ok: true, database: params.database, collections}, `hashes: ${collections.length} collections, ${documents} documents in ${params.database}`, 0)
}

try {
  main()
} catch (error) {
  const failure = {code: error.code === undefined ? null : error.code, codeName: error.codeName || null, message: String(error.message || error)}
  finish({op: OP, ok: false, error: failure}, `FAILED: ${failure.message}`, 1)
}
