import {describe, expect, test} from 'vitest'

import {ConflictError} from '../../../src/errors.js'
import {
  EKS_DEFAULT_SERVICE_CIDRS,
  EKS_SERVICE_CIDR,
  LEGACY_VPC_CIDR,
  MAX_ZONES,
  VPC_CIDR_BY_ROLE,
  checkPeerable,
  subnetCidr,
} from '../../../src/providers/aws/address-plan.js'
import {databaseIngressRules} from '../../../src/providers/aws/database-security-group.js'
import {cidrContains, cidrsOverlap, parseCidr, subBlock} from '../../../src/providers/cidr.js'

describe('CIDR arithmetic', () => {
  test.each([
    ['10.10.0.0/16', '10.20.0.0/16', false],
    ['10.10.0.0/16', '10.10.255.0/24', true],
    ['10.0.0.0/8', '10.100.0.0/16', true],
    ['192.168.0.0/16', '192.168.0.0/16', true],
    ['10.10.0.0/16', '172.20.0.0/16', false],
    ['0.0.0.0/0', '203.0.113.0/24', true],
    ['10.10.0.0/19', '10.10.32.0/19', false],
  ])('%s and %s overlap: %s', (a, b, expected) => {
    expect(cidrsOverlap(a, b)).toBe(expected)
    expect(cidrsOverlap(b, a)).toBe(expected)
  })

  test.each([
    ['10.10.0.0/16', 19, 0, '10.10.0.0/19'],
    ['10.10.0.0/16', 19, 3, '10.10.96.0/19'],
    ['10.10.0.0/16', 19, 7, '10.10.224.0/19'],
    ['192.168.0.0/16', 19, 5, '192.168.160.0/19'],
    ['10.64.0.0/12', 14, 1, '10.68.0.0/14'],
    ['10.0.0.0/8', 16, 255, '10.255.0.0/16'],
  ])('block %# of %s as /%i: %s', (cidr, prefix, index, expected) => {
    expect(subBlock(cidr, prefix, index)).toBe(expected)
    expect(cidrContains(cidr, expected)).toBe(true)
  })

  test.each([
    ['10.10.0.0/16', 19, 8, /holds 8 blocks of \/19; index 8/],
    ['10.10.0.0/16', 15, 0, /a \/15 does not fit inside 10.10.0.0\/16/],
  ])('subBlock refuses %s /%i index %i', (cidr, prefix, index, message) => {
    expect(() => subBlock(cidr, prefix, index)).toThrow(message)
  })

  test.each([
    ['10.10.0.0', /not an IPv4 CIDR block/],
    ['10.10.0.300/16', /not an IPv4 CIDR block/],
    ['10.10.0.0/33', /not an IPv4 CIDR block/],
    ['10.10.1.0/16', /has host bits set: the block starts at 10.10.0.0\/16/],
  ])('parseCidr refuses %s', (cidr, message) => {
    expect(() => parseCidr(cidr)).toThrow(message)
  })
})

describe('AWS address plan', () => {
  const planned = [VPC_CIDR_BY_ROLE.primary, VPC_CIDR_BY_ROLE.secondary]

  test('each role has its own VPC range, clear of the other and of every Service range EKS may use', () => {
    expect(VPC_CIDR_BY_ROLE).toEqual({primary: '10.10.0.0/16', secondary: '10.20.0.0/16'})
    expect(cidrsOverlap(planned[0], planned[1])).toBe(false)
    for (const vpc of [...planned, LEGACY_VPC_CIDR]) {
      for (const service of [...EKS_DEFAULT_SERVICE_CIDRS, EKS_SERVICE_CIDR]) expect(cidrsOverlap(vpc, service), `${vpc} vs ${service}`).toBe(false)
    }
  })

  test.each([
    [VPC_CIDR_BY_ROLE.primary, ['10.10.0.0/19', '10.10.32.0/19', '10.10.64.0/19'], ['10.10.96.0/19', '10.10.128.0/19', '10.10.160.0/19']],
    [VPC_CIDR_BY_ROLE.secondary, ['10.20.0.0/19', '10.20.32.0/19', '10.20.64.0/19'], ['10.20.96.0/19', '10.20.128.0/19', '10.20.160.0/19']],
    // The subnets a VPC made before the plan always had: a re-run adds a missing one at the same place.
    [LEGACY_VPC_CIDR, ['192.168.0.0/19', '192.168.32.0/19', '192.168.64.0/19'], ['192.168.96.0/19', '192.168.128.0/19', '192.168.160.0/19']],
  ])('subnets of %s: public %j, private %j', (vpc, publicSubnets, privateSubnets) => {
    const zones = [...Array(MAX_ZONES).keys()]
    expect(zones.map((zone) => subnetCidr(vpc, 'public', zone))).toEqual(publicSubnets)
    expect(zones.map((zone) => subnetCidr(vpc, 'private', zone))).toEqual(privateSubnets)
    const all = [...publicSubnets, ...privateSubnets]
    for (const subnet of all) expect(cidrContains(vpc, subnet)).toBe(true)
    for (const [i, a] of all.entries()) for (const b of all.slice(i + 1)) expect(cidrsOverlap(a, b), `${a} vs ${b}`).toBe(false)
  })

  test('a fourth zone is refused rather than spilling into the free blocks', () => {
    expect(() => subnetCidr(VPC_CIDR_BY_ROLE.primary, 'public', 3)).toThrow(/zone index 3 is outside 0-2/)
  })

  test.each([
    ['10.10.0.0/16', '10.20.0.0/16', false],
    ['192.168.0.0/16', '10.20.0.0/16', false],
    ['192.168.0.0/16', '192.168.0.0/16', true],
    ['10.0.0.0/8', '10.20.0.0/16', true],
  ])('peering %s with %s refused: %s', (primary, secondary, refused) => {
    const check = () => checkPeerable({region: 'eu-west-1', cidr: primary}, {region: 'us-east-2', cidr: secondary}, 'demo')
    if (!refused) {
      expect(check).not.toThrow()
      return
    }
    const error = (() => {
      try {
        check()
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(ConflictError)
    expect((error as ConflictError).message).toBe(
      `the VPCs of eu-west-1 (${primary}) and us-east-2 (${secondary}) overlap, and AWS cannot peer overlapping VPCs`,
    )
    expect((error as ConflictError).hint).toMatch(/mygate env destroy demo.*10\.10\.0\.0\/16 and 10\.20\.0\.0\/16/)
  })

  test('database rules: MongoDB and Redis from each region range', () => {
    const rules = databaseIngressRules([
      {region: 'eu-west-1', cidr: '10.10.0.0/16'},
      {region: 'us-east-2', cidr: '10.20.0.0/16'},
    ])
    expect(rules).toEqual([
      {port: 27017, cidr: '10.10.0.0/16', description: 'MongoDB from eu-west-1 (10.10.0.0/16)'},
      {port: 6379, cidr: '10.10.0.0/16', description: 'Redis from eu-west-1 (10.10.0.0/16)'},
      {port: 27017, cidr: '10.20.0.0/16', description: 'MongoDB from us-east-2 (10.20.0.0/16)'},
      {port: 6379, cidr: '10.20.0.0/16', description: 'Redis from us-east-2 (10.20.0.0/16)'},
    ])
  })
})
