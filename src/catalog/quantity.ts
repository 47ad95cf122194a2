/**
 * Kubernetes resource quantities, only as far as the catalog needs them: the schema restricts CPU
 * to cores or millicores ("250m", "1", "1.5") and memory/storage to binary suffixes ("256Mi"),
 * so comparing a request with its limit is exact arithmetic.
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
