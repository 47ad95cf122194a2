import {describe, expect, test} from 'vitest'

import {writeLanded} from '../../../src/kube/write-landed.js'

const lease = (holder: string, renewTime = '2026-12-03T10:00:00.123000Z') => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: {name: 'mygate-deploy-visitors', namespace: 'mygate-system', labels: {'app.kubernetes.io/managed-by': 'mygate'}},
  spec: {holderIdentity: holder, leaseDurationSeconds: 15, renewTime},
})

const stored = (object: ReturnType<typeof lease>, extra: Record<string, unknown> = {}) => ({
  ...object,
  metadata: {...object.metadata, resourceVersion: '42', uid: 'u-1', creationTimestamp: '2026-12-03T10:00:00Z', managedFields: [{manager: 'mygate'}]},
  ...extra,
})

describe('writeLanded: does the stored object hold what we sent?', () => {
  test.each([
    ['our own lease, as stored (server metadata added)', lease('ci@a'), stored(lease('ci@a')), true],
    ['another holder won the race', lease('ci@a'), stored(lease('ci@b')), false],
    ['the same instant in the API server\'s MicroTime form', lease('ci@a', '2026-12-03T10:00:00.123Z'), stored(lease('ci@a', '2026-12-03T10:00:00.123000Z')), true],
    ['a different renew time', lease('ci@a', '2026-12-03T10:00:00.123Z'), stored(lease('ci@a', '2026-12-03T10:00:01.123000Z')), false],
    ['a resourceVersion we sent is not compared', {...lease('ci@a'), metadata: {...lease('ci@a').metadata, resourceVersion: '7'}}, stored(lease('ci@a')), true],
    ['defaults the server added do not matter', lease('ci@a'), stored(lease('ci@a'), {spec: {...lease('ci@a').spec, leaseTransitions: 0}}), true],
    ['a label we sent is missing', lease('ci@a'), {...stored(lease('ci@a')), metadata: {...stored(lease('ci@a')).metadata, labels: {}}}, false],
    ['status is not compared', {...lease('ci@a'), status: {x: 1}}, stored(lease('ci@a')), true],
  ])('%s -> %s', (_name, sent, found, expected) => {
    expect(writeLanded(sent as never, found as never)).toBe(expected)
  })

  test.each([
    [{data: {a: '1'}}, {data: {a: '1'}}, true],
    [{data: {a: '1'}}, {data: {a: '2'}}, false],
    [{data: {list: ['x', 'y']}}, {data: {list: ['x', 'y']}}, true],
    [{data: {list: ['x', 'y']}}, {data: {list: ['x', 'y', 'z']}}, false],
    [{data: {list: ['x', 'y']}}, {data: {list: ['y', 'x']}}, false],
    [{data: {n: 1}}, {data: {n: '1'}}, false],
    [{data: {a: '1'}}, {}, false],
  ])('ConfigMap %j against %j -> %s', (sent, found, expected) => {
    const meta = {metadata: {name: 'm', namespace: 'n'}}
    expect(writeLanded({...meta, ...sent}, {...meta, ...found})).toBe(expected)
  })
})
