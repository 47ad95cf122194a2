/**
 * A PromQL syntax error in Prometheus' own shape, "LINE:COL: parse error: MESSAGE" (Go's
 * promql/parser ParseErr.Error()), which the HTTP layer answers as bad_data. Prometheus counts
 * the column in bytes from the last line break, 1-based; `position` here is a JavaScript string
 * index into `query`, converted when the message is built.
 */
export class PromqlParseError extends Error {
  override name = 'PromqlParseError'

  constructor(
    /** Where the problem starts: an index into the query text. */
    readonly position: number,
    readonly reason: string,
    query = '',
  ) {
    super(`${lineAndColumn(query, position)}: parse error: ${reason}`)
  }
}

function lineAndColumn(query: string, position: number): string {
  const before = query.slice(0, Math.max(0, position))
  const lineStart = before.lastIndexOf('\n') + 1
  const line = before.split('\n').length
  // Past the end of the text (an empty query), count the missing characters as bytes too.
  const column = Buffer.byteLength(before.slice(lineStart)) + Math.max(0, position - before.length) + 1
  return `${line}:${column}`
}
