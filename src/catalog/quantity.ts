/**
 * Kubernetes resource quantities, only as far as mygate needs them: the descriptor schema
 * restricts CPU to cores or millicores ("250m", "1", "1.5") and memory/storage to binary suffixes
 * ("256Mi"), so comparing a request with its limit is exact arithmetic; summed quantities (quotas)
 * are formatted back with formatCpu/formatMemory.
 */

const BINARY: Record<string, number> = {Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40}

/** CPU in millicores: "250m" -> 250, "1.5" -> 1500. */
export function cpuMillicores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Math.round(Number(quantity) * 1000)
}

/** Memory in bytes: "256Mi" -> 268435456. */
export function memoryBytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(quantity)
  return match ? Number(match[1]) * BINARY[match[2]] : Number.NaN
}

export const CPU_PATTERN = '^([1-9][0-9]*m|[0-9]+(\\.[0-9]{1,3})?)$'
export const MEMORY_PATTERN = '^[1-9][0-9]*(Ki|Mi|Gi|Ti)$'

/** Millicores as a quantity, rounded up to whole cores above 10 cores to keep quotas readable. */
export function formatCpu(millis: number): string {
  return millis >= 10_000 ? String(Math.ceil(millis / 1000)) : `${Math.ceil(millis)}m`
}

/** Bytes as a quantity in Mi, or Gi above 10Gi, rounded up. */
export function formatMemory(value: number): string {
  const mi = value / 1024 ** 2
  return mi >= 10 * 1024 ? `${Math.ceil(mi / 1024)}Gi` : `${Math.ceil(mi)}Mi`
}
