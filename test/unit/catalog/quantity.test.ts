import {describe, expect, test} from 'vitest'

import {cpuMillicores, formatCpu, formatMemory, memoryBytes} from '../../../src/catalog/quantity.js'

describe('Kubernetes quantities', () => {
  test.each([['250m', 250], ['1', 1000], ['1.5', 1500], ['0.001', 1]])('cpu %s = %i millicores', (quantity, millis) => {
    expect(cpuMillicores(quantity)).toBe(millis)
  })
  test.each([['256Mi', 256 * 2 ** 20], ['1Gi', 2 ** 30], ['512Ki', 512 * 1024], ['1G', Number.NaN]])('memory %s = %d bytes', (quantity, bytes) => {
    expect(memoryBytes(quantity)).toBe(bytes)
  })
  test.each([[250, '250m'], [9_999.2, '10000m'], [10_000, '10'], [12_001, '13']])('%d millicores formats as %s (rounded up)', (millis, text) => {
    expect(formatCpu(millis)).toBe(text)
  })
  test.each([[256 * 2 ** 20, '256Mi'], [256 * 2 ** 20 + 1, '257Mi'], [10 * 2 ** 30, '10Gi'], [10 * 2 ** 30 + 1, '11Gi']])('%d bytes formats as %s (rounded up)', (bytes, text) => {
    expect(formatMemory(bytes)).toBe(text)
  })
})
