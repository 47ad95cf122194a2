import {describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../../src/kube/types.js'
import {podLimits, podRequests} from '../../../../src/local-cluster/compute-resources/pod-resources.js'
import {
  addQuantities,
  formatQuantity,
  formatResourceList,
  milliValue,
  parseQuantity,
  QuantityError,
  wholeValue,
} from '../../../../src/local-cluster/compute-resources/quantity.js'

// Expected texts follow apimachinery's quantity tests (k8s.io/apimachinery/pkg/api/resource,
// quantity_test.go: TestQuantityCanonicalize / TestQuantityString): the canonical form is what
// the API server prints in quota and LimitRange messages.
describe('parseQuantity + formatQuantity (canonical form)', () => {
  test.each([
    ['500m', '500m'],
    ['1500m', '1500m'],
    ['2000m', '2'],
    ['0.5', '500m'],
    ['1.2', '1200m'],
    ['.5', '500m'],
    ['2', '2'],
    ['10000', '10k'],
    ['128Mi', '128Mi'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['1Ki', '1Ki'],
    ['1536', '1536'],
    ['128M', '128M'],
    ['1e3', '1e3'],
    ['1E3', '1e3'],
    ['100n', '100n'],
    ['0', '0'],
    ['0Mi', '0'],
    ['-500m', '-500m'],
    [2, '2'],
    [0.25, '250m'],
  ])('%j prints as %s', (input, expected) => {
    expect(formatQuantity(parseQuantity(input))).toBe(expected)
  })

  test.each(['', 'abc', '1.2.3', '1Kb', '1 Gi', 'Mi', '--1'])('%j is not a quantity', (input) => {
    expect(() => parseQuantity(input)).toThrow(QuantityError)
  })

  test('a binary value below 1024 or with a fraction prints as decimal', () => {
    expect(formatQuantity({nano: 512n * 1_000_000_000n, format: 'BinarySI'})).toBe('512')
    expect(formatQuantity({nano: 1500n * 1_000_000_000n + 500_000_000n, format: 'BinarySI'})).toBe('1500500m')
  })

  test('a sum takes the format of its first non-zero term', () => {
    const zero = parseQuantity('0')
    const sum = addQuantities(addQuantities(zero, parseQuantity('1Gi')), parseQuantity('512Mi'))
    expect(formatQuantity(sum)).toBe('1536Mi')
    expect(formatQuantity(addQuantities(parseQuantity('250m'), parseQuantity('750m')))).toBe('1')
  })

  test('milli and whole values round up', () => {
    expect(milliValue(parseQuantity('1n'))).toBe(1)
    expect(milliValue(parseQuantity('7800m'))).toBe(7800)
    expect(wholeValue(parseQuantity('1Gi'))).toBe(1024 ** 3)
    expect(wholeValue(parseQuantity('100m'))).toBe(1)
  })

  test('resource lists print sorted name=value pairs joined by commas', () => {
    expect(formatResourceList({'requests.memory': parseQuantity('1Gi'), 'requests.cpu': parseQuantity('1500m')})).toBe('requests.cpu=1500m,requests.memory=1Gi')
  })
})

describe('podRequests / podLimits', () => {
  const container = (name: string, requests: Record<string, string>, limits: Record<string, string> = {}, restartPolicy?: string) => ({
    name,
    ...(restartPolicy ? {restartPolicy} : {}),
    resources: {requests, limits},
  })
  const pod = (spec: Record<string, unknown>): KubeObject => ({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p'}, spec})
  const text = (list: Record<string, {nano: bigint; format: 'DecimalSI' | 'BinarySI' | 'DecimalExponent'}>) => formatResourceList(list)

  test.each([
    ['containers add up', {containers: [container('a', {cpu: '100m', memory: '64Mi'}), container('b', {cpu: '200m', memory: '64Mi'})]}, 'cpu=300m,memory=128Mi'],
    ['an init container larger than the sum wins', {initContainers: [container('i', {cpu: '500m'})], containers: [container('a', {cpu: '100m'}), container('b', {cpu: '200m'})]}, 'cpu=500m'],
    ['a smaller init container does not count', {initContainers: [container('i', {cpu: '50m'})], containers: [container('a', {cpu: '100m'})]}, 'cpu=100m'],
    [
      'a sidecar adds to the app containers and to later init containers',
      {initContainers: [container('proxy', {cpu: '100m'}, {}, 'Always'), container('migrate', {cpu: '400m'})], containers: [container('a', {cpu: '200m'})]},
      'cpu=500m',
    ],
    ['overhead comes on top', {containers: [container('a', {cpu: '100m'})], overhead: {cpu: '50m'}}, 'cpu=150m'],
    ['no resources: nothing requested', {containers: [{name: 'a'}]}, ''],
  ])('%s', (_, spec, expected) => {
    expect(text(podRequests(pod(spec)))).toBe(expected)
  })

  test('limits add up the same way; overhead only where a limit is set', () => {
    const spec = {containers: [container('a', {}, {cpu: '1', memory: '256Mi'}), container('b', {}, {cpu: '500m'})], overhead: {cpu: '100m', memory: '10Mi'}}
    expect(text(podLimits(pod(spec)))).toBe('cpu=1600m,memory=266Mi')
  })
})
