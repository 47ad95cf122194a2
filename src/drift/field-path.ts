/**
 * Field paths as the API server's managedFields spell them (FieldsV1: `f:spec`, `k:{"name":"api"}`,
 * `v:"x"`), and as `mygate env diff` prints them (`spec.template.spec.containers[name=api].image`).
 * The FieldsV1 form is the one both the comparison and the ownership lookup walk, so a path found
 * in one is found in the other; the printed form is what people read and what `drift.ignore` names.
 *
 * Worked examples (formatPath):
 *   ['f:spec', 'f:replicas']                                   -> spec.replicas
 *   ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"api"}', 'f:image']
 *                                                              -> spec.template.spec.containers[name=api].image
 *   ['f:metadata', 'f:labels', 'f:app.kubernetes.io/name']    -> metadata.labels["app.kubernetes.io/name"]
 *   ['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}']   -> spec.ports[port=80,protocol=TCP]
 *   ['f:metadata', 'f:finalizers', 'v:"x"']                    -> metadata.finalizers[="x"]
 */

export type FieldPath = string[]

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/

export function formatPath(path: FieldPath): string {
  let out = ''
  for (const segment of path) {
    const body = segment.slice(2)
    if (segment.startsWith('f:')) out += IDENTIFIER.test(body) ? `${out === '' ? '' : '.'}${body}` : `[${JSON.stringify(body)}]`
    else if (segment.startsWith('k:')) {
      const key = JSON.parse(body) as Record<string, unknown>
      out += `[${Object.entries(key).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(',')}]`
    } else if (segment.startsWith('v:')) out += `[=${body}]`
    else if (segment.startsWith('i:')) out += `[${body}]`
  }
  return out
}

/** True when `path` is `prefix` or lies under it. */
export function isUnder(path: FieldPath, prefix: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment)
}

export function samePath(a: FieldPath, b: FieldPath): boolean {
  return a.length === b.length && isUnder(a, b)
}
