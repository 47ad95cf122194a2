/**
 * Pod IPs from a node's /24 pod CIDR (10.244.N.0/24): .1 is the node's bridge, so pods get
 * .2 to .254. Returns undefined when the range is used up.
 */
export function allocatePodIp(podCidr: string, used: ReadonlySet<string>): string | undefined {
  const match = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(podCidr)
  if (!match) return undefined
  for (let host = 2; host <= 254; host++) {
    const ip = `${match[1]}.${host}`
    if (!used.has(ip)) return ip
  }
  return undefined
}
