import type {SyntaxNode, Tree} from '@lezer/common'
import {PromqlParseError} from './parse-error.js'

/**
 * Turns the error nodes of a Lezer parse (Lezer recovers from bad input and marks the spot with
 * an error node instead of throwing) into Prometheus-style messages: "unexpected <token>", the
 * token described as Go's promql lexer does (identifier "y", number "5", "(", end of input),
 * plus where it happened and what was expected inside label matchers, grouping labels, range
 * brackets and parentheses.
 */

/** The first error node of the parse, as a PromqlParseError; undefined when the text parsed. */
export function firstSyntaxError(tree: Tree, query: string): PromqlParseError | undefined {
  let found: SyntaxNode | undefined
  tree.iterate({
    enter(ref) {
      if (found) return false
      if (ref.type.isError) {
        found = ref.node
        return false
      }
      return undefined
    },
  })
  return found ? syntaxErrorAt(found, query) : undefined
}

/** The message for one error node (also used by the tree walker when it meets one). */
export function syntaxErrorAt(node: SyntaxNode, query: string): PromqlParseError {
  const unknown = unknownFunction(node, query)
  if (unknown) return unknown
  const token = tokenAt(query, node.from)
  if (token.kind === 'character') return new PromqlParseError(token.position, `unexpected character: '${token.text}'`, query)
  return new PromqlParseError(token.position, `unexpected ${token.description}${context(node)}`, query)
}

/**
 * `foo(x)` with a name the grammar does not know parses as the selector `foo` followed by a
 * stray "(": Prometheus reports that as an unknown function, at the name.
 */
function unknownFunction(node: SyntaxNode, query: string): PromqlParseError | undefined {
  const name = node.prevSibling
  if (node.parent?.name !== 'VectorSelector' || name?.name !== 'Identifier') return undefined
  if (tokenAt(query, node.from).text !== '(') return undefined
  return new PromqlParseError(name.from, `unknown function with name "${query.slice(name.from, name.to)}"`, query)
}

interface Token {
  kind: 'identifier' | 'number' | 'string' | 'punctuation' | 'character' | 'end'
  text: string
  description: string
  position: number
}

const OPERATORS = ['=~', '!~', '!=', '==', '<=', '>=', '</', '>/', '=', '<', '>', '+', '-', '*', '/', '%', '^', '@', '(', ')', '{', '}', '[', ']', ',', ':']

/** The token starting at or after `from`, skipping blanks and # comments as the lexer does. */
function tokenAt(query: string, from: number): Token {
  let position = from
  for (;;) {
    const skipped = /^(?:\s+|#[^\n]*)/.exec(query.slice(position))
    if (!skipped) break
    position += skipped[0].length
  }
  const rest = query.slice(position)
  if (rest === '') return {kind: 'end', text: '', description: 'end of input', position}
  const identifier = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rest)
  if (identifier) return {kind: 'identifier', text: identifier[0], description: `identifier "${identifier[0]}"`, position}
  const number = /^(?:\d|\.\d)[a-zA-Z0-9_.]*(?:[eE][+-]?\d+)?/.exec(rest)
  if (number) return {kind: 'number', text: number[0], description: `number "${number[0]}"`, position}
  const string = /^(?:"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|`[^`]*`?)/.exec(rest)
  if (string) return {kind: 'string', text: string[0], description: `string ${string[0]}`, position}
  const operator = OPERATORS.find((op) => rest.startsWith(op))
  if (operator) return {kind: 'punctuation', text: operator, description: `"${operator}"`, position}
  const character = String.fromCodePoint(rest.codePointAt(0) ?? 0)
  return {kind: 'character', text: character, description: `character '${character}'`, position}
}

const MATCHERS = new Set(['UnquotedLabelMatcher', 'QuotedLabelMatcher', 'QuotedLabelName'])

/** " in label matching, expected string" and the like: where the parser was and what it wanted. */
function context(node: SyntaxNode): string {
  const parent = node.parent?.name
  const before = previousNamed(node)?.name
  switch (parent) {
    case 'UnquotedLabelMatcher':
    case 'QuotedLabelMatcher':
      return before === 'MatchOp' ? ' in label matching, expected string' : ' in label matching, expected label matching operator'
    case 'LabelMatchers':
      return before && MATCHERS.has(before) ? ' in label matching, expected "," or "}"' : ' in label matching, expected label'
    case 'GroupingLabels':
      return before === 'LabelName' || before === 'QuotedLabelName' ? ' in grouping opts, expected "," or ")"' : ' in grouping opts, expected label'
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return ' in range selector, expected "]"'
    case 'ParenExpr':
      return ' in paren expression, expected ")"'
    case 'FunctionCallBody':
      return ' in call, expected "," or ")"'
    default:
      return ''
  }
}

function previousNamed(node: SyntaxNode): SyntaxNode | undefined {
  let previous = node.prevSibling
  while (previous && (previous.type.isError || previous.name === 'LineComment')) previous = previous.prevSibling
  return previous ?? undefined
}
