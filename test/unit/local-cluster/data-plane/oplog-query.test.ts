import {describe, expect, test} from 'vitest'

import {parseOplogQuery} from '../../../../src/local-cluster/data-plane/jobs/oplog-dump.js'

describe('mongodump --query on local.oplog.rs (Extended JSON), as the local data plane evaluates it', () => {
  test.each([
    ['', {}],
    ['{}', {}],
    ['{"ts": {"$gte": {"$timestamp": {"t": 100, "i": 2}}}}', {from: {ts: {t: 100, i: 2}, inclusive: true}}],
    ['{"ts": {"$gt": {"$timestamp": {"t": 100, "i": 2}}, "$lte": {"$timestamp": {"t": 200, "i": 0}}}}', {from: {ts: {t: 100, i: 2}, inclusive: false}, to: {ts: {t: 200, i: 0}, inclusive: true}}],
    ['{"ts": {"$lt": {"$timestamp": {"t": 7, "i": 1}}}}', {to: {ts: {t: 7, i: 1}, inclusive: false}}],
    // A scheduled slice's trailing window on the entries' wall time.
    ['{"$expr": {"$gte": ["$wall", {"$subtract": ["$$NOW", 600000]}]}}', {wallWithinMs: 600_000}],
  ])('%s', (text, range) => {
    expect(parseOplogQuery(text)).toEqual({ok: true, range})
  })

  test.each([
    ['{"ts": ', /error parsing query as Extended JSON/],
    ['[1]', /not a document/],
    ['{"op": "i"}', /only ranges on ts .*got op/],
    ['{"ts": {"$ne": {"$timestamp": {"t": 1, "i": 1}}}}', /only \$gt, \$gte, \$lt and \$lte on ts \(got \$ne\)/],
    ['{"ts": {"$gt": 5}}', /\$gt on ts needs a \{"\$timestamp"/],
    ['{"$expr": {"$lte": ["$wall", "$$NOW"]}}', /evaluates \$expr only as/],
  ])('refused: %s', (text, message) => {
    const parsed = parseOplogQuery(text)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.error).toMatch(message)
  })
})
