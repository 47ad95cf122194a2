import {describe, expect, test} from 'vitest'

import {Crc64, crc64} from '../../../src/formats/mongo-archive/crc64.js'

/** Bit-at-a-time reference of Go's crc64 with the ECMA table (reflected, ~0 in and out). */
function referenceCrc(bytes: Uint8Array): bigint {
  const poly = 0xc96c5795d7870f42n
  let crc = 0xffffffffffffffffn
  for (const byte of bytes) {
    crc ^= BigInt(byte)
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n
  }
  return crc ^ 0xffffffffffffffffn
}

describe('CRC-64/ECMA as mongodump computes it', () => {
  test.each([
    ['the catalogue check value of "123456789"', Buffer.from('123456789'), 0x995dc9bbdf1939fan],
    ['no bytes', Buffer.alloc(0), 0n],
  ])('%s', (_what, bytes, expected) => {
    expect(crc64(bytes)).toBe(expected)
  })

  test.each([1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000])('matches the bit-at-a-time reference for %d bytes', (length) => {
    const bytes = Uint8Array.from({length}, (_, i) => (i * 131 + 7) & 0xff)
    expect(crc64(bytes)).toBe(referenceCrc(bytes))
  })

  test('feeding the bytes in pieces gives the same CRC as all at once', () => {
    const bytes = Uint8Array.from({length: 999}, (_, i) => (i * 37) & 0xff)
    const running = new Crc64()
    for (let i = 0; i < bytes.length; i += 13) running.update(bytes.subarray(i, i + 13))
    expect(running.value()).toBe(crc64(bytes))
  })

  // Inputs of 256 bytes and more take the word-at-a-time path: every alignment of the view and
  // lengths around the 8-byte step must agree with the reference.
  test.each([
    [0, 256],
    [1, 256],
    [2, 1031],
    [3, 4099],
    [5, 300],
    [0, 263],
  ])('the word path agrees with the reference at byte offset %d over %d bytes', (offset, length) => {
    const backing = Uint8Array.from({length: offset + length}, (_, i) => (i * 197 + 11) & 0xff)
    const bytes = backing.subarray(offset)
    expect(crc64(bytes)).toBe(referenceCrc(bytes))
  })
})
