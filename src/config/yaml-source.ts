import {readFile} from 'node:fs/promises'
import {type Document, LineCounter, isMap, isNode, isScalar, isSeq, parseDocument} from 'yaml'

import {UsageError} from '../errors.js'
import {displayPath} from './display-path.js'

/**
 * A YAML file parsed with node positions kept, so a problem found later (by the JSON schema or a
 * cross-file check) can be reported at the line it comes from. Shared by the catalog loader
 * (services/*.yaml) and the project config loader (mygate.yaml).
 */

/** A field path inside a document: map keys and list indexes, e.g. ['tiers', 'prod', 'replicas']. */
export type FieldPath = ReadonlyArray<string | number>

export interface YamlSource {
  /** Absolute path of the file. */
  file: string
  /** The path shown in messages: relative to the cwd when inside it, absolute otherwise. */
  displayPath: string
  /** The plain JavaScript value of the document (null for an empty file). */
  data: unknown
  /** 1-based line of the value at `path` (or of its key with `at: 'key'`); falls back to the nearest existing parent. */
  lineOf(path: FieldPath, at?: 'key' | 'value'): number
}

/** One thing wrong with a document, located by field path. */
export interface Problem {
  path: FieldPath
  /** Reads after the field path: "must be an integer >= 0, got \"three\"". */
  message: string
  /** Point at the key rather than the value (unknown keys). */
  at?: 'key' | 'value'
  /** What kind of rule failed, where it matters for merging problems (a misspelt key is both). */
  kind?: 'unknown-field' | 'required'
}

export {displayPath}

/** `tiers.prod.replicas`, `secrets[0].env`; an empty path is the document itself. */
export function formatFieldPath(path: FieldPath): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else out += out === '' ? segment : `.${segment}`
  }
  return out === '' ? '(document)' : out
}

/** Parses YAML text; a syntax error becomes a UsageError naming file and line. */
export function parseYamlSource(text: string, file: string, hint: string): YamlSource {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, uniqueKeys: true})
  const shown = displayPath(file)
  const [syntaxError] = doc.errors
  if (syntaxError) {
    const line = syntaxError.linePos?.[0].line ?? 1
    // yaml appends " at line L, column C:" and a code frame; the file:line prefix already says where.
    const reason = syntaxError.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')
    throw new UsageError(`${shown}:${line}: invalid YAML: ${reason}`, {
      hint,
      details: {file: shown, line, code: syntaxError.code},
    })
  }
  return {
    file,
    displayPath: shown,
    data: doc.toJS({maxAliasCount: 100}) ?? null,
    lineOf: (path, at = 'value') => lineOf(doc, lineCounter, path, at),
  }
}

export async function readYamlSource(file: string, hint: string): Promise<YamlSource> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`
    throw new UsageError(`${displayPath(file)} ${reason}`, {hint, cause: error})
  }
  return parseYamlSource(text, file, hint)
}

function lineOf(doc: Document, lineCounter: LineCounter, path: FieldPath, at: 'key' | 'value'): number {
  const line = (offset: number) => lineCounter.linePos(offset).line
  // The line of the key that introduces `prefix` (or of the list item), if the document has it.
  const keyLine = (prefix: FieldPath): number | undefined => {
    if (prefix.length === 0) return undefined
    const parent = doc.getIn(prefix.slice(0, -1), true)
    const last = prefix.at(-1)
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === last)
      return pair && isNode(pair.key) && pair.key.range ? line(pair.key.range[0]) : undefined
    }
    if (isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last]
      return isNode(item) && item.range ? line(item.range[0]) : undefined
    }
    return undefined
  }
  for (let depth = path.length; depth > 0; depth--) {
    const prefix = path.slice(0, depth)
    if (depth < path.length || at === 'key') {
      // A missing or unknown field is reported where its parent is introduced: `analysis:`, not its first child.
      const found = keyLine(prefix)
      if (found !== undefined) return found
      continue
    }
    const node = doc.getIn(prefix, true)
    if (isNode(node) && node.range) {
      // An empty value (`replicas:`) has no text of its own; its key's line is the honest answer.
      const empty = node.range[0] === node.range[1] || ((isMap(node) || isSeq(node)) && node.items.length === 0)
      return (empty ? keyLine(prefix) : undefined) ?? line(node.range[0])
    }
  }
  const root = doc.contents
  return isNode(root) && root.range ? line(root.range[0]) : 1
}

/** Builds the error for a list of problems: the first (by line) in the message, all of them in details. */
export function problemsError(source: YamlSource, problems: readonly Problem[], hint: string): UsageError {
  const located = problems
    .map((problem) => ({...problem, line: source.lineOf(problem.path, problem.at), field: formatFieldPath(problem.path)}))
    .sort((a, b) => a.line - b.line)
  const [first] = located
  const more = located.length > 1 ? ` (and ${located.length - 1} more problem${located.length > 2 ? 's' : ''})` : ''
  return new UsageError(`${source.displayPath}:${first.line}: ${first.field} ${first.message}${more}`, {
    hint,
    details: {
      file: source.displayPath,
      line: first.line,
      field: first.field,
      problems: located.map(({line, field, message}) => ({line, field, message})),
    },
  })
}
