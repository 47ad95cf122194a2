import type {SyntaxNode} from '@lezer/common'
import {parser as promqlGrammar} from '@prometheus-io/lezer-promql'
import {PromqlParseError} from './parse-error.js'
import {StringLiteralError, unquotePromqlString} from './string-literal.js'
import {firstSyntaxError, syntaxErrorAt} from './syntax-errors.js'

export {PromqlParseError} from './parse-error.js'

/**
 * PromQL read with the Prometheus project's own grammar (@prometheus-io/lezer-promql, the Lezer
 * grammar behind the Prometheus UI), reduced to the subset the local Prometheus evaluates,
 * which is what the rollout analysis sends (src/analysis/queries.ts):
 *
 *   NUMBER (signed, hex, Inf, NaN)   selector{matchers}   selector[DURATION]   ( expr )
 *   expr / expr                      sum [by (labels)] (expr) [by (labels)]
 *   rate(range selector)             histogram_quantile(expr, expr)
 *
 * The grammar decides what is PromQL; this module turns its syntax tree into the evaluator's
 * Expr and refuses, by name and position, what the grammar accepts but the local Prometheus does
 * not evaluate (other operators, functions and aggregations, offset, @, subqueries, duration
 * arithmetic, quoted label names). Every error is a PromqlParseError in Prometheus' own
 * "LINE:COL: parse error: ..." shape, answered as bad_data. When the text has several problems,
 * the one that comes first in the text is reported, as a left-to-right parser would.
 */

export type MatchOp = '=' | '!=' | '=~' | '!~'

export interface Matcher {
  name: string
  op: MatchOp
  value: string
}

export type Expr =
  | {type: 'number'; value: number}
  | {type: 'selector'; matchers: Matcher[]; rangeMs?: number}
  | {type: 'call'; func: 'rate'; arg: Expr & {type: 'selector'}}
  | {type: 'call'; func: 'histogram_quantile'; quantile: Expr; arg: Expr}
  | {type: 'sum'; by?: string[]; arg: Expr}
  | {type: 'binary'; op: '/'; lhs: Expr; rhs: Expr}

const NOT_HERE = 'is not supported by the local Prometheus'
const EVALUATED = '(the local Prometheus evaluates only sum, rate and histogram_quantile)'

/** PromQL durations: number+unit pairs from years down to milliseconds (the grammar fixes the order). */
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/
const DURATION_UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000}

export function parsePromql(query: string): Expr {
  const tree = promqlGrammar.parse(query)
  const top = childrenOf(tree.topNode)
  if (top.every((node) => node.type.isError && node.from === node.to)) throw new PromqlParseError(0, 'no expression found in input', query)
  const syntaxError = firstSyntaxError(tree, query)
  let expr: Expr
  try {
    expr = new TreeReader(query).expression(top[0])
  } catch (error) {
    // The walk stops at the first thing it refuses; a syntax error earlier in the text wins.
    if (error instanceof PromqlParseError && syntaxError && syntaxError.position < error.position) throw syntaxError
    throw error
  }
  if (syntaxError) throw syntaxError
  return expr
}

/** A node's children in order, comments left out (Lezer keeps them in the tree). */
function childrenOf(node: SyntaxNode): SyntaxNode[] {
  const children: SyntaxNode[] = []
  for (let child = node.firstChild; child; child = child.nextSibling) if (child.name !== 'LineComment') children.push(child)
  return children
}

const typeName = (expr: Expr): string =>
  expr.type === 'number' || (expr.type === 'binary' && typeName(expr.lhs) === 'scalar' && typeName(expr.rhs) === 'scalar')
    ? 'scalar'
    : expr.type === 'selector' && expr.rangeMs !== undefined
      ? 'range vector'
      : 'instant vector'

/** Walks the syntax tree in text order, building the Expr or throwing at the first refusal. */
class TreeReader {
  constructor(private readonly query: string) {}

  expression(node: SyntaxNode | undefined): Expr {
    if (!node || node.type.isError) throw this.unexpected(node)
    const children = childrenOf(node)
    switch (node.name) {
      case 'ParenExpr':
        return this.only(children, (inner) => this.expression(inner))
      case 'NumberDurationLiteral':
        return {type: 'number', value: this.number(node)}
      case 'VectorSelector':
        return this.selector(node)
      case 'MatrixSelector':
        return this.rangeSelector(node, children)
      case 'FunctionCall':
        return this.call(node, children)
      case 'AggregateExpr':
        return this.aggregation(node, children)
      case 'BinaryExpr':
        return this.binary(children)
      case 'SubqueryExpr':
        this.expression(children[0])
        throw this.fail(this.query.indexOf(':', children[1]?.to ?? node.from), `subqueries are not supported by the local Prometheus`)
      case 'OffsetExpr':
      case 'StepInvariantExpr':
      case 'AnchoredExpr':
      case 'SmoothedExpr':
        this.expression(children[0])
        throw this.fail(children[1]?.from ?? node.to, `the "${this.text(children[1])}" modifier ${NOT_HERE}`)
      case 'UnaryExpr': {
        // The grammar reads "-1" either as a signed literal or as unary minus on 1 (inside call
        // arguments it picks the latter); both are the number -1, as Prometheus folds them.
        const [sign, operand] = children
        if (operand?.name === 'NumberDurationLiteral' && children.length === 2) return {type: 'number', value: (this.text(sign) === '-' ? -1 : 1) * this.number(operand)}
        throw this.fail(node.from, `unary "${this.text(sign)}" ${NOT_HERE}`)
      }
      case 'StringLiteral':
        this.string(node)
        throw this.fail(node.from, `string literals are not supported by the local Prometheus`)
      default:
        throw this.fail(node.from, `unexpected ${node.name}`)
    }
  }

  private number(node: SyntaxNode): number {
    const text = this.text(node)
    const negative = text.startsWith('-')
    const body = text.replace(/^[+-]/, '')
    let value: number
    if (/^inf$/i.test(body)) value = Infinity
    else if (/^nan$/i.test(body)) value = Number.NaN
    else if (/^0x[0-9a-f]+$/i.test(body)) value = parseInt(body.slice(2), 16)
    // Prometheus 2.x, whose API this one answers as, reads durations only inside brackets.
    else if (DURATION.test(body)) throw this.fail(node.from, `unexpected duration "${text}"`)
    else if (!/^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(body)) throw this.fail(node.from, `bad number or duration syntax: "${text}"`)
    else value = Number(body)
    return negative ? -value : value
  }

  private selector(node: SyntaxNode): Expr & {type: 'selector'} {
    const matchers: Matcher[] = []
    let metric: string | undefined
    for (const child of childrenOf(node)) {
      if (child.name === 'Identifier') {
        metric = this.text(child)
        matchers.push({name: '__name__', op: '=', value: metric})
      } else if (child.name === 'LabelMatchers') {
        for (const item of childrenOf(child)) matchers.push(this.matcher(item))
      } else {
        throw this.unexpected(child)
      }
    }
    const named = matchers.filter((m) => m.name === '__name__')
    if (metric !== undefined && named.length > 1) throw this.fail(node.from, `metric name must not be set twice: "${metric}" or "${named[1].value}"`)
    // Prometheus refuses a selector whose every matcher also matches the empty label value.
    if (matchers.every(matchesEmpty)) throw this.fail(node.from, 'vector selector must contain at least one non-empty matcher')
    return {type: 'selector', matchers}
  }

  private matcher(node: SyntaxNode): Matcher {
    if (node.name === 'QuotedLabelMatcher' || node.name === 'QuotedLabelName') throw this.fail(node.from, `quoted label names are not supported by the local Prometheus`)
    if (node.name !== 'UnquotedLabelMatcher') throw this.unexpected(node)
    const [name, op, value, ...rest] = childrenOf(node)
    if (name?.name !== 'LabelName') throw this.unexpected(name)
    if (op?.name !== 'MatchOp') throw this.unexpected(op)
    if (value?.name !== 'StringLiteral') throw this.unexpected(value)
    if (rest.length > 0) throw this.unexpected(rest[0])
    const matcher: Matcher = {name: this.text(name), op: this.text(op) as MatchOp, value: this.string(value)}
    if (matcher.op === '=~' || matcher.op === '!~') {
      try {
        anchored(matcher.value)
      } catch {
        throw this.fail(value.from, `invalid regular expression ${this.text(value)}`)
      }
    }
    return matcher
  }

  private string(node: SyntaxNode): string {
    try {
      return unquotePromqlString(this.text(node))
    } catch (error) {
      if (error instanceof StringLiteralError) throw this.fail(node.from + error.offset, error.message)
      throw error
    }
  }

  private rangeSelector(node: SyntaxNode, [inner, duration, ...rest]: SyntaxNode[]): Expr {
    if (inner?.name !== 'VectorSelector') {
      this.expression(inner)
      throw this.fail(this.query.lastIndexOf('[', duration?.from ?? node.to), 'ranges only allowed for vector selectors')
    }
    const selector = this.selector(inner)
    selector.rangeMs = this.duration(duration)
    if (rest.length > 0) throw this.unexpected(rest[0])
    return selector
  }

  private duration(node: SyntaxNode | undefined): number {
    if (node?.name !== 'DurationExpr') throw this.unexpected(node)
    const parts = childrenOf(node)
    if (parts.length !== 1 || parts[0].name !== 'NumberDurationLiteralInDurationContext') {
      throw this.fail(node.from, `duration expressions are not supported by the local Prometheus`)
    }
    const text = this.text(parts[0])
    if (!DURATION.test(text)) {
      // The grammar stops at the first character that cannot continue a number; show the whole word.
      const word = /^[\w.]+/.exec(this.query.slice(parts[0].from))?.[0] ?? text
      throw this.fail(parts[0].from, `bad duration syntax: "${word}"`)
    }
    let ms = 0
    for (const [, count, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) ms += Number(count) * DURATION_UNITS[unit]
    if (ms <= 0) throw this.fail(parts[0].from, 'duration must be greater than 0')
    return ms
  }

  private call(node: SyntaxNode, [identifier, body]: SyntaxNode[]): Expr {
    const name = this.text(identifier)
    if (name !== 'rate' && name !== 'histogram_quantile') throw this.fail(node.from, `unknown function with name "${name}" ${EVALUATED}`)
    const args = this.arguments(body)
    const expected = name === 'rate' ? 1 : 2
    if (args.length !== expected) throw this.fail(node.from, `expected ${expected} argument(s) in call to "${name}", got ${args.length}`)
    if (name === 'histogram_quantile') return {type: 'call', func: name, quantile: this.expression(args[0]), arg: this.expression(args[1])}
    const arg = this.expression(args[0])
    if (arg.type !== 'selector' || arg.rangeMs === undefined) throw this.fail(node.from, `expected type range vector in call to function "rate", got ${typeName(arg)}`)
    return {type: 'call', func: 'rate', arg}
  }

  /** The expressions between the parentheses of a call or aggregation; a syntax error in them is reported first. */
  private arguments(body: SyntaxNode | undefined): SyntaxNode[] {
    if (body?.name !== 'FunctionCallBody') throw this.unexpected(body)
    const args = childrenOf(body)
    const broken = args.find((arg) => arg.type.isError)
    if (broken) throw this.unexpected(broken)
    return args
  }

  private aggregation(node: SyntaxNode, children: SyntaxNode[]): Expr {
    let by: string[] | undefined
    let arg: Expr | undefined
    for (const child of children) {
      if (child.name === 'AggregateOp') {
        const op = this.text(child)
        // Aggregation keywords are case-insensitive in PromQL; function names are not.
        if (op.toLowerCase() !== 'sum') throw this.fail(child.from, `unknown function with name "${op}" ${EVALUATED}`)
      } else if (child.name === 'AggregateModifier') {
        by = this.grouping(child)
      } else if (child.name === 'FunctionCallBody') {
        const args = this.arguments(child)
        if (args.length !== 1) throw this.fail(node.from, `wrong number of arguments for aggregate expression provided, expected 1, got ${args.length}`)
        arg = this.expression(args[0])
      } else {
        throw this.unexpected(child)
      }
    }
    if (!arg) throw this.unexpected(undefined, node.to)
    return by ? {type: 'sum', by, arg} : {type: 'sum', arg}
  }

  private grouping(modifier: SyntaxNode): string[] {
    const [keyword, labels, ...rest] = childrenOf(modifier)
    if (keyword?.name === 'Without') throw this.fail(keyword.from, `"without" ${NOT_HERE}`)
    if (keyword?.name !== 'By') throw this.unexpected(keyword)
    if (labels?.name !== 'GroupingLabels') throw this.unexpected(labels, modifier.to)
    if (rest.length > 0) throw this.unexpected(rest[0])
    return childrenOf(labels).map((label) => {
      if (label.name === 'QuotedLabelName') throw this.fail(label.from, `quoted label names are not supported by the local Prometheus`)
      if (label.name !== 'LabelName') throw this.unexpected(label)
      return this.text(label)
    })
  }

  private binary(children: SyntaxNode[]): Expr {
    const lhs = this.expression(children[0])
    const op = children[1]
    if (!op || op.type.isError) throw this.unexpected(op, children[0].to)
    if (op.name !== 'Div') throw this.fail(op.from, `operator "${this.text(op)}" ${NOT_HERE} (only "/")`)
    const modifiers = children.slice(2, -1)
    for (const modifier of modifiers) {
      if (modifier.type.isError) throw this.unexpected(modifier)
      throw this.fail(modifier.from, `the "${/^\w+/.exec(this.text(modifier))?.[0]}" modifier ${NOT_HERE}`)
    }
    const rhs = this.expression(children.length > 2 ? children[children.length - 1] : undefined)
    return {type: 'binary', op: '/', lhs, rhs}
  }

  /** `children` must hold exactly one node; `read` reads it. */
  private only<T>(children: SyntaxNode[], read: (node: SyntaxNode) => T): T {
    const value = read(children[0])
    if (children.length > 1) throw this.unexpected(children[1])
    return value
  }

  private text(node: SyntaxNode | undefined): string {
    return node ? this.query.slice(node.from, node.to) : ''
  }

  private fail(position: number, reason: string): PromqlParseError {
    return new PromqlParseError(position, reason, this.query)
  }

  /** An error node, or a node missing where the grammar put one: "unexpected <token>". */
  private unexpected(node: SyntaxNode | undefined, at = this.query.length): PromqlParseError {
    if (node?.type.isError) return syntaxErrorAt(node, this.query)
    const position = node?.from ?? at
    const rest = this.query.slice(position).trimStart()
    return this.fail(this.query.length - rest.length, rest === '' ? 'unexpected end of input' : `unexpected "${rest.split(/\s/)[0]}"`)
  }
}

const anchored = (pattern: string): RegExp => new RegExp(`^(?:${pattern})$`)

function matchesEmpty(matcher: Matcher): boolean {
  switch (matcher.op) {
    case '=':
      return matcher.value === ''
    case '!=':
      return matcher.value !== ''
    case '=~':
      return anchored(matcher.value).test('')
    case '!~':
      return !anchored(matcher.value).test('')
  }
}
