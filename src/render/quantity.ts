/**
 * Formatting of summed resource quantities for quotas (parsing lives in src/catalog/quantity.ts,
 * which knows the forms descriptors may use). CPU is in millicores, memory and storage in bytes.
 */

/** Millicores as a quantity, rounded up to whole cores above 10 cores to keep quotas readable. */
export function formatCpu(millis: number): string {
  return millis >= 10_000 ? String(Math.ceil(millis / 1000)) : `${Math.ceil(millis)}m`
}

/** Bytes as a quantity in Mi, or Gi above 10Gi, rounded up. */
export function formatMemory(value: number): string {
  const mi = value / 1024 ** 2
  return mi >= 10 * 1024 ? `${Math.ceil(mi / 1024)}Gi` : `${Math.ceil(mi)}Mi`
}
