import {LineCounter, Node as YamlNode, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments} from 'yaml'

import {UsageError} from '../errors.js'

/**
 * The template language: plain YAML files whose values are filled in AFTER parsing, so a value
 * can never change the document's structure (no indentation trouble, no YAML injection).
 *
 * The whole language (keep it this small):
 * - `${a.b.c}` as the ENTIRE scalar: replaced by the typed value at that path in the context
 *   (numbers stay numbers, lists stay lists, maps stay maps).
 * - `${a}` inside a longer string (`"${registry}/${repo}:${tag}"`), or alone in a QUOTED scalar
 *   (`"${service.port}"`): interpolated into a string; each value must be a string, number or
 *   boolean. Quotes mean "string", as in YAML itself.
 * - A whole-scalar placeholder that resolves to {@link OMIT} drops its map key or list item.
 * - `$when: ${path}` as a key of a map: the value must be a boolean (or OMIT, meaning false);
 *   when false the whole map is dropped (a map inside a list: the item; a map value: its key; a
 *   document root: the document). When true the `$when` key itself is removed. Placeholders
 *   below a false `$when` are never evaluated, so values that only exist when a feature is on
 *   may be missing when it is off.
 * - `$${` writes a literal `${`.
 * Keys are literal. An unknown root name or a path with no value (`undefined`) is a UsageError
 * naming the template file and line: an optional value must be an explicit OMIT.
 */

/** Marks a value as deliberately absent: the key (or list item) holding it is dropped. */
export const OMIT: unique symbol = Symbol('mygate.omit')
export type OmitMarker = typeof OMIT

export type TemplateContext = Record<string, unknown>

interface Placeholder {
  path: string[]
  text: string
  line: number
}

type TemplateNode =
  | {t: 'lit'; value: unknown}
  | {t: 'ph'; ph: Placeholder}
  | {t: 'interp'; parts: Array<string | Placeholder>; line: number}
  | {t: 'map'; entries: Array<[string, TemplateNode]>; when?: Placeholder; whenLine: number}
  | {t: 'seq'; items: TemplateNode[]}

export interface CompiledTemplate {
  /** The file as shown in errors (relative to the package root when inside it). */
  file: string
  documents: TemplateNode[]
}

const PLACEHOLDER = /\$\$\{|\$\{([^}]*)\}/g
const PATH = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/
const WHEN_KEY = '$when'

function templateError(file: string, line: number, message: string, hint: string): UsageError {
  return new UsageError(`${file}:${line}: ${message}`, {hint, details: {file, line}})
}

function compileString(value: string, file: string, line: number, quoted: boolean): TemplateNode {
  const parts: Array<string | Placeholder> = []
  let last = 0
  let literal = ''
  for (const match of value.matchAll(PLACEHOLDER)) {
    literal += value.slice(last, match.index)
    last = match.index + match[0].length
    if (match[0] === '$${') {
      literal += '${'
      continue
    }
    const expression = (match[1] ?? '').trim()
    if (!PATH.test(expression)) {
      throw templateError(file, line, `malformed placeholder ${match[0]}`, 'write ${name.path} with dotted identifiers, or $${ for a literal "${"')
    }
    if (literal !== '') parts.push(literal)
    literal = ''
    parts.push({path: expression.split('.'), text: match[0], line})
  }
  literal += value.slice(last)
  if (literal !== '') parts.push(literal)
  if (parts.length === 0) return {t: 'lit', value: ''}
  if (parts.length === 1 && typeof parts[0] === 'string') return {t: 'lit', value: parts[0]}
  if (parts.length === 1 && typeof parts[0] !== 'string' && !quoted) return {t: 'ph', ph: parts[0]}
  return {t: 'interp', parts, line}
}

function compileNode(node: unknown, file: string, lines: LineCounter): TemplateNode {
  const lineOf = (n: YamlNode | null | undefined): number => (n?.range ? lines.linePos(n.range[0]).line : 0)
  if (node === null || node === undefined) return {t: 'lit', value: null}
  if (isAlias(node)) {
    throw templateError(file, lineOf(node), 'YAML aliases are not supported in templates', 'repeat the value instead')
  }
  if (isScalar(node)) {
    if (typeof node.value !== 'string') return {t: 'lit', value: node.value}
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE'
    return compileString(node.value, file, lineOf(node), quoted)
  }
  if (isSeq(node)) {
    const items = node.items.map((item) => compileNode(item, file, lines))
    return allLiteral(items) ? {t: 'lit', value: items.map((i) => (i as {value: unknown}).value)} : {t: 'seq', items}
  }
  if (isMap(node)) {
    const entries: Array<[string, TemplateNode]> = []
    let when: Placeholder | undefined
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key) || typeof pair.key.value !== 'string') {
        throw templateError(file, lineOf(pair.key as YamlNode), 'map keys must be plain strings', 'quote the key')
      }
      const key = pair.key.value
      const value = compileNode(pair.value, file, lines)
      if (key === WHEN_KEY) {
        const single = value.t === 'ph' ? value.ph : value.t === 'interp' && value.parts.length === 1 ? value.parts[0] : undefined
        if (single === undefined || typeof single === 'string') {
          throw templateError(file, lineOf(pair.key), '$when needs a single placeholder, e.g. "$when: ${feature.enabled}"', 'put exactly one ${...} as its value')
        }
        when = single
        continue
      }
      entries.push([key, value])
    }
    const line = lineOf(node)
    if (when === undefined && allLiteral(entries.map(([, v]) => v))) {
      return {t: 'lit', value: Object.fromEntries(entries.map(([k, v]) => [k, (v as {value: unknown}).value]))}
    }
    return {t: 'map', entries, when, whenLine: line}
  }
  throw templateError(file, lineOf(node as YamlNode), 'unsupported YAML node', 'use plain maps, lists and scalars')
}

function allLiteral(nodes: TemplateNode[]): boolean {
  return nodes.every((n) => n.t === 'lit')
}

/** Parses a template once; render it as often as needed with {@link renderTemplate}. */
export function compileTemplate(source: string, file: string): CompiledTemplate {
  const lineCounter = new LineCounter()
  const documents = parseAllDocuments(source, {lineCounter})
  if (!Array.isArray(documents)) return {file, documents: []}
  const compiled: TemplateNode[] = []
  for (const doc of documents) {
    const error = doc.errors[0]
    if (error) {
      const line = lineCounter.linePos(error.pos[0]).line
      throw templateError(file, line, `invalid YAML: ${error.message.split('\n')[0]}`, 'fix the template syntax')
    }
    if (doc.contents === null) continue
    compiled.push(compileNode(doc.contents, file, lineCounter))
  }
  return {file, documents: compiled}
}

function lookup(ph: Placeholder, context: TemplateContext, file: string): unknown {
  const [root, ...rest] = ph.path
  if (!Object.hasOwn(context, root)) {
    throw templateError(file, ph.line, `unknown placeholder ${ph.text}`, `known names: ${Object.keys(context).sort().join(', ')}`)
  }
  let value: unknown = context[root]
  for (const [index, segment] of rest.entries()) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) {
      const at = ph.path.slice(0, index + 2).join('.')
      throw templateError(file, ph.line, `missing value for ${ph.text} (nothing at "${at}")`, 'check the placeholder name against the render context documented in src/render/contexts.ts')
    }
    value = (value as Record<string, unknown>)[segment]
  }
  if (value === undefined) {
    throw templateError(file, ph.line, `missing value for ${ph.text}`, 'the renderer must supply a value or OMIT')
  }
  return value
}

/** Copies plain data so rendered objects never share structure with the context or each other. */
function cloneData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneData)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = cloneData(v)
    return out
  }
  return value
}

function evaluate(node: TemplateNode, context: TemplateContext, file: string): unknown {
  switch (node.t) {
    case 'lit':
      return cloneData(node.value)
    case 'ph':
      return cloneData(lookup(node.ph, context, file))
    case 'interp': {
      let out = ''
      for (const part of node.parts) {
        if (typeof part === 'string') {
          out += part
          continue
        }
        const value = lookup(part, context, file)
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
          throw templateError(file, part.line, `${part.text} inside a string must be a string, number or boolean, not ${describe(value)}`, 'make the placeholder the whole value to insert a list or map')
        }
        out += String(value)
      }
      return out
    }
    case 'seq': {
      const items: unknown[] = []
      for (const item of node.items) {
        const value = evaluate(item, context, file)
        if (value !== OMIT) items.push(value)
      }
      return items
    }
    case 'map': {
      if (node.when !== undefined) {
        const flag = lookup(node.when, context, file)
        if (flag === OMIT || flag === false) return OMIT
        if (flag !== true) {
          throw templateError(file, node.when.line, `$when ${node.when.text} must be true or false, not ${describe(flag)}`, 'point $when at a boolean')
        }
      }
      const out: Record<string, unknown> = {}
      for (const [key, child] of node.entries) {
        const value = evaluate(child, context, file)
        if (value !== OMIT) out[key] = value
      }
      return out
    }
  }
}

function describe(value: unknown): string {
  if (value === OMIT) return 'OMIT'
  if (Array.isArray(value)) return 'a list'
  if (value === null) return 'null'
  return typeof value === 'object' ? 'a map' : `${typeof value} ${JSON.stringify(value)}`
}

/** Renders every document of a template; documents dropped by `$when` are left out. */
export function renderTemplate(template: CompiledTemplate, context: TemplateContext): unknown[] {
  const out: unknown[] = []
  for (const doc of template.documents) {
    const value = evaluate(doc, context, template.file)
    if (value !== OMIT) out.push(value)
  }
  return out
}
