/**
 * A parser for the subset of PromQL the rollout analysis uses (src/analysis/queries.ts):
 *
 *   expr      := operand ( '/' operand )*                 left-associative
 *   operand   := NUMBER | '(' expr ')' | aggregate | call | selector
 *   aggregate := 'sum' [ by ] '(' expr ')' [ by ]           by := 'by' '(' label, ... ')'
 *   call      := 'rate' '(' selector-with-range ')' | 'histogram_quantile' '(' expr ',' expr ')'
 *   selector  := METRIC [ '{' matcher, ... '}' ] [ '[' DURATION ']' ] | '{' matcher, ... '}' [ ... ]
 *   matcher   := LABEL ( '=' | '!=' | '=~' | '!~' ) STRING
 *
 * Anything else is a parse error with Prometheus' "line:col: parse error: ..." shape, which the
 * HTTP layer answers as bad_data.
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

export class PromqlParseError extends Error {
  constructor(position: number, message: string) {
    super(`1:${position + 1}: parse error: ${message}`)
    this.name = 'PromqlParseError'
  }
}

type TokenKind = 'ident' | 'string' | 'number' | 'duration' | 'punct' | 'eof'
interface Token {
  kind: TokenKind
  text: string
  value?: string | number
  pos: number
}

const PUNCT = ['=~', '!~', '!=', '=', '(', ')', '{', '}', '[', ']', ',', '/', '+', '-', '*', '%', '^', '<', '>']
const DURATION_UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000}

function lex(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let inBrackets = false
  while (i < input.length) {
    const c = input[i]
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === '#') {
      while (i < input.length && input[i] !== '\n') i++
      continue
    }
    if (inBrackets && /\d/.test(c)) {
      const match = /^(?:\d+(?:ms|s|m|h|d|w|y))+/.exec(input.slice(i))
      if (!match) throw new PromqlParseError(i, `bad duration syntax: "${input.slice(i).split(']')[0]}"`)
      let ms = 0
      for (const part of match[0].matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) ms += Number(part[1]) * DURATION_UNITS[part[2]]
      tokens.push({kind: 'duration', text: match[0], value: ms, pos: i})
      i += match[0].length
      continue
    }
    const number = /^(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(input.slice(i))
    if (number && /[\d.]/.test(c)) {
      tokens.push({kind: 'number', text: number[0], value: Number(number[0]), pos: i})
      i += number[0].length
      continue
    }
    if (/[a-zA-Z_:]/.test(c)) {
      const ident = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(input.slice(i)) as RegExpExecArray
      tokens.push({kind: 'ident', text: ident[0], pos: i})
      i += ident[0].length
      continue
    }
    if (c === '"' || c === "'" || c === '`') {
      const start = i
      let value = ''
      i++
      for (;;) {
        if (i >= input.length) throw new PromqlParseError(start, 'unterminated quoted string')
        const ch = input[i]
        if (ch === c) {
          i++
          break
        }
        if (ch === '\\' && c !== '`') {
          const next = input[i + 1]
          const escapes: Record<string, string> = {n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v'}
          if (next === undefined || !(next in escapes)) throw new PromqlParseError(i, `unknown escape sequence '\\${next ?? ''}'`)
          value += escapes[next]
          i += 2
          continue
        }
        value += ch
        i++
      }
      tokens.push({kind: 'string', text: input.slice(start, i), value, pos: start})
      continue
    }
    const punct = PUNCT.find((p) => input.startsWith(p, i))
    if (!punct) throw new PromqlParseError(i, `unexpected character: '${c}'`)
    if (punct === '[') inBrackets = true
    if (punct === ']') inBrackets = false
    tokens.push({kind: 'punct', text: punct, pos: i})
    i += punct.length
  }
  tokens.push({kind: 'eof', text: '', pos: input.length})
  return tokens
}

const KEYWORDS = new Set(['sum', 'by', 'without', 'rate', 'histogram_quantile', 'bool', 'on', 'ignoring', 'offset'])

export function parsePromql(input: string): Expr {
  if (input.trim() === '') throw new PromqlParseError(0, 'no expression found in input')
  const tokens = lex(input)
  let at = 0
  const peek = () => tokens[at]
  const next = () => tokens[at++]
  const describe = (token: Token) => (token.kind === 'eof' ? 'end of input' : token.kind === 'string' ? `string ${token.text}` : `"${token.text}"`)
  const expect = (text: string, context: string): Token => {
    const token = next()
    if (token.text !== text || (token.kind !== 'punct' && token.kind !== 'ident')) throw new PromqlParseError(token.pos, `unexpected ${describe(token)} in ${context}, expected "${text}"`)
    return token
  }

  function parseExpr(): Expr {
    let lhs = parseOperand()
    for (;;) {
      const token = peek()
      if (token.kind === 'punct' && token.text === '/') {
        next()
        lhs = {type: 'binary', op: '/', lhs, rhs: parseOperand()}
        continue
      }
      if (token.kind === 'punct' && ['+', '-', '*', '%', '^', '<', '>'].includes(token.text)) {
        throw new PromqlParseError(token.pos, `operator "${token.text}" is not supported by the local Prometheus (only "/")`)
      }
      return lhs
    }
  }

  function parseBy(): string[] {
    expect('(', 'grouping')
    const labels: string[] = []
    while (peek().text !== ')') {
      const label = next()
      if (label.kind !== 'ident') throw new PromqlParseError(label.pos, `unexpected ${describe(label)} in grouping opts, expected label`)
      labels.push(label.text)
      if (peek().text === ',') next()
      else if (peek().text !== ')') throw new PromqlParseError(peek().pos, `unexpected ${describe(peek())} in grouping opts, expected ")" or ","`)
    }
    next()
    return labels
  }

  function parseOperand(): Expr {
    const token = peek()
    if (token.kind === 'number') {
      next()
      return {type: 'number', value: token.value as number}
    }
    if (token.kind === 'punct' && token.text === '(') {
      next()
      const inner = parseExpr()
      expect(')', 'paren expression')
      return inner
    }
    if (token.kind === 'punct' && token.text === '{') return parseSelector(undefined)
    if (token.kind === 'ident') {
      if (token.text === 'Inf' || token.text === 'NaN' || token.text === 'inf' || token.text === 'nan') {
        next()
        return {type: 'number', value: token.text.toLowerCase() === 'inf' ? Infinity : Number.NaN}
      }
      if (token.text === 'sum') {
        next()
        let by: string[] | undefined
        if (peek().text === 'by') {
          next()
          by = parseBy()
        } else if (peek().text === 'without') {
          throw new PromqlParseError(peek().pos, '"without" is not supported by the local Prometheus')
        }
        expect('(', 'aggregation')
        const arg = parseExpr()
        expect(')', 'aggregation')
        if (peek().text === 'by' && by === undefined) {
          next()
          by = parseBy()
        }
        return by ? {type: 'sum', by, arg} : {type: 'sum', arg}
      }
      if (token.text === 'rate') {
        next()
        expect('(', 'call to rate')
        const arg = parseExpr()
        if (arg.type !== 'selector' || arg.rangeMs === undefined) {
          throw new PromqlParseError(token.pos, 'expected type range vector in call to function "rate", got instant vector')
        }
        expect(')', 'call to rate')
        return {type: 'call', func: 'rate', arg}
      }
      if (token.text === 'histogram_quantile') {
        next()
        expect('(', 'call to histogram_quantile')
        const quantile = parseExpr()
        expect(',', 'call to histogram_quantile')
        const arg = parseExpr()
        expect(')', 'call to histogram_quantile')
        return {type: 'call', func: 'histogram_quantile', quantile, arg}
      }
      if (peek().kind === 'ident' && tokens[at + 1]?.text === '(') {
        throw new PromqlParseError(token.pos, `unknown function with name "${token.text}"`)
      }
      if (KEYWORDS.has(token.text)) throw new PromqlParseError(token.pos, `unexpected ${describe(token)}`)
      next()
      return parseSelector(token.text)
    }
    throw new PromqlParseError(token.pos, `unexpected ${describe(token)}`)
  }

  function parseSelector(metric: string | undefined): Expr & {type: 'selector'} {
    const matchers: Matcher[] = metric ? [{name: '__name__', op: '=', value: metric}] : []
    if (peek().text === '{' && peek().kind === 'punct') {
      next()
      while (peek().text !== '}') {
        const name = next()
        if (name.kind !== 'ident') throw new PromqlParseError(name.pos, `unexpected ${describe(name)} in label matching, expected label`)
        const op = next()
        if (op.kind !== 'punct' || !['=', '!=', '=~', '!~'].includes(op.text)) {
          throw new PromqlParseError(op.pos, `unexpected ${describe(op)} in label matching, expected label matching operator`)
        }
        const value = next()
        if (value.kind !== 'string') throw new PromqlParseError(value.pos, `unexpected ${describe(value)} in label matching, expected string`)
        if (op.text === '=~' || op.text === '!~') {
          try {
            new RegExp(`^(?:${value.value})$`)
          } catch {
            throw new PromqlParseError(value.pos, `invalid regular expression ${value.text}`)
          }
        }
        matchers.push({name: name.text, op: op.text as MatchOp, value: value.value as string})
        if (peek().text === ',') next()
        else if (peek().text !== '}') throw new PromqlParseError(peek().pos, `unexpected ${describe(peek())} in label matching, expected "," or "}"`)
      }
      next()
    }
    if (matchers.length === 0 || matchers.every((m) => (m.op === '=' || m.op === '=~') && new RegExp(`^(?:${m.value})$`).test(''))) {
      throw new PromqlParseError(peek().pos, 'vector selector must contain at least one non-empty matcher')
    }
    const selector: Expr & {type: 'selector'} = {type: 'selector', matchers}
    if (peek().text === '[' && peek().kind === 'punct') {
      next()
      const duration = next()
      if (duration.kind !== 'duration') throw new PromqlParseError(duration.pos, `unexpected ${describe(duration)} in subquery or range selector, expected duration`)
      if ((duration.value as number) <= 0) throw new PromqlParseError(duration.pos, 'duration must be greater than 0')
      if (peek().text === ':') throw new PromqlParseError(peek().pos, 'subqueries are not supported by the local Prometheus')
      expect(']', 'range selector')
      selector.rangeMs = duration.value as number
    }
    return selector
  }

  const expr = parseExpr()
  if (peek().kind !== 'eof') throw new PromqlParseError(peek().pos, `unexpected ${describe(peek())}`)
  return expr
}
