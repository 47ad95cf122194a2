/**
 * IPv4 CIDR arithmetic for the providers' address plans: parse, carve a block into equal parts,
 * and test two blocks for overlap (AWS refuses to peer VPCs whose ranges overlap; GKE refuses
 * secondary ranges that overlap the subnetwork's). Pure functions, no I/O.
 */

export interface Ipv4Block {
  /** The network address as an unsigned 32-bit number. */
  base: number
  prefix: number
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/

export function parseCidr(cidr: string): Ipv4Block {
  const match = CIDR.exec(cidr.trim())
  const octets = match ? match.slice(1, 5).map(Number) : []
  const prefix = match ? Number(match[5]) : -1
  if (!match || octets.some((octet) => octet > 255) || prefix > 32) {
    throw new Error(`"${cidr}" is not an IPv4 CIDR block such as 10.10.0.0/16`)
  }
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0
  const base = (address & maskOf(prefix)) >>> 0
  if (base !== address) throw new Error(`"${cidr}" has host bits set: the block starts at ${formatCidr({base, prefix})}`)
  return {base, prefix}
}

export function formatCidr(block: Ipv4Block): string {
  const {base} = block
  return `${base >>> 24}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.${base & 255}/${block.prefix}`
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

/** True when the two blocks share at least one address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const left = parseCidr(a)
  const right = parseCidr(b)
  const prefix = Math.min(left.prefix, right.prefix)
  return (left.base & maskOf(prefix)) >>> 0 === (right.base & maskOf(prefix)) >>> 0
}

/** True when `inner` lies entirely within `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer)
  const i = parseCidr(inner)
  return i.prefix >= o.prefix && (i.base & maskOf(o.prefix)) >>> 0 === o.base
}

/**
 * The `index`-th block of size /`prefix` inside `cidr`. Example: the 4th /19 (index 3) of
 * 10.10.0.0/16 is 10.10.96.0/19; of 192.168.0.0/16 it is 192.168.96.0/19.
 */
export function subBlock(cidr: string, prefix: number, index: number): string {
  const outer = parseCidr(cidr)
  if (prefix < outer.prefix || prefix > 32) throw new Error(`a /${prefix} does not fit inside ${cidr}`)
  const count = 2 ** (prefix - outer.prefix)
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`${cidr} holds ${count} blocks of /${prefix}; index ${index} is outside it`)
  }
  return formatCidr({base: (outer.base + index * 2 ** (32 - prefix)) >>> 0, prefix})
}
