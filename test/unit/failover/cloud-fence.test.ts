import {describe, expect, test} from 'vitest'

import {closeCloudFence, dataParts, describeParts, mergeParts, pendingReason} from '../../../src/failover/cloud-fence.js'
import {ExternalError} from '../../../src/errors.js'
import type {CloudFailoverAccess, CloudFencePart} from '../../../src/providers/cloud-failover.js'

const rule = (cidr: string, purpose = 'database'): CloudFencePart => ({kind: 'ingress-rule', groupId: 'sg-1', purpose, protocol: 'tcp', fromPort: 27017, toPort: 27017, cidrIpv4: cidr})

describe('mergeParts', () => {
  test('a resumed fence keeps what it recorded and adds what a re-read finds open, each once', () => {
    const recorded = [rule('10.10.0.0/16'), rule('10.20.0.0/16')]
    expect(mergeParts(recorded, [rule('10.20.0.0/16'), rule('10.30.0.0/16')])).toEqual([rule('10.10.0.0/16'), rule('10.20.0.0/16'), rule('10.30.0.0/16')])
    expect(mergeParts(recorded, [])).toEqual(recorded)
  })
})

describe('describeParts', () => {
  test.each([
    [[], 'nothing open'],
    [[rule('a'), rule('b'), rule('c', 'gateway load balancer')], '2 database ingress rule(s), 1 gateway load balancer ingress rule(s)'],
    [
      [
        {kind: 'deny-firewall', name: 'mygate-x-r-fence', network: 'n', destinationRanges: [], priority: 0},
        {kind: 'backend', backendService: 's', group: 'g', backend: {}},
      ] as CloudFencePart[],
      'deny firewall rule mygate-x-r-fence (priority 0), 1 gateway backend(s)',
    ],
  ])('%o -> %s', (parts, line) => {
    expect(describeParts(parts)).toBe(line)
  })
})

describe('closeCloudFence', () => {
  test('records the parts before closing them, so a kill between the two loses nothing', async () => {
    const events: string[] = []
    const cloud = {
      provider: 'aws',
      fence: {
        plan: async () => [rule('10.20.0.0/16')],
        close: async (_region: string, parts: readonly CloudFencePart[]) => void events.push(`close ${parts.length}`),
        open: async () => undefined,
      },
    } as unknown as CloudFailoverAccess
    const record = await closeCloudFence({
      cloud,
      region: 'a',
      previous: {region: 'a', provider: 'aws', parts: [rule('10.10.0.0/16')]},
      checkpoint: async (saved) => void events.push(`record ${saved.parts.length} closedAt=${saved.closedAt}`),
      now: () => new Date('2026-12-03T13:00:00Z'),
    })
    expect(events).toEqual(['record 2 closedAt=undefined', 'close 2'])
    expect(record).toEqual({region: 'a', provider: 'aws', parts: [rule('10.10.0.0/16'), rule('10.20.0.0/16')], closedAt: '2026-12-03T13:00:00.000Z'})
  })
})

describe('pendingReason', () => {
  test('a cloud failure leaves the fence pending with its message; a bug is not swallowed', () => {
    expect(pendingReason(new ExternalError('AWS revoking failed: timeout'))).toBe('AWS revoking failed: timeout')
    expect(() => pendingReason(new TypeError('x is undefined'))).toThrow(TypeError)
  })
})

describe('dataParts', () => {
  test('the database rules and the deny rule carry the members\' traffic; the gateway entry does not', () => {
    const deny: CloudFencePart = {kind: 'deny-firewall', name: 'f', network: 'n', destinationRanges: [], priority: 0}
    const backend: CloudFencePart = {kind: 'backend', backendService: 's', group: 'g', backend: {}}
    expect(dataParts([rule('a'), rule('b', 'gateway load balancer'), deny, backend])).toEqual([rule('a'), deny])
  })
})
