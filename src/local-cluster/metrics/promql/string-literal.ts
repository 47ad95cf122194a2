/**
 * The value of a PromQL string literal, read as Prometheus reads it (promql/parser's lexer plus
 * util/strutil.Unquote, which is Go's strconv.Unquote extended to single-quoted strings of any
 * length):
 * - "..." and '...': the escapes \a \b \f \n \r \t \v \\, the quote itself (\" in "...", \' in
 *   '...', not the other one), \xHH, \OOO (octal, at most 255), \uHHHH and \UHHHHHHHH (a Unicode
 *   code point, no surrogates);
 * - `...`: raw, no escapes; carriage returns are dropped as Go drops them.
 *
 * Worked examples: `"q\"uote"` -> q"uote, `'it\'s'` -> it's, `"\u00e9"` -> é, "`a\n`" -> a\n
 * (backslash and n). Go strings are bytes, so "\xe9" is one byte there; here it is the code
 * point U+00E9, the nearest JavaScript string can hold.
 */

/** A literal Prometheus would refuse; `offset` is where the problem starts inside the literal. */
export class StringLiteralError extends Error {
  override name = 'StringLiteralError'

  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message)
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\'}

/** Hex digits that follow \x, \u and \U. */
const HEX_DIGITS: Record<string, number> = {x: 2, u: 4, U: 8}

const codePoint = (char: string): string => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} '${char}'`

export function unquotePromqlString(raw: string): string {
  const quote = raw[0]
  if (raw.length < 2 || raw[raw.length - 1] !== quote || (quote !== '`' && !closingQuoteIsReal(raw))) {
    throw new StringLiteralError(0, 'unterminated quoted string')
  }
  const body = raw.slice(1, -1)
  if (quote === '`') return body.replace(/\r/g, '')
  let value = ''
  for (let i = 0; i < body.length; i++) {
    const char = body[i]
    if (char !== '\\') {
      value += char
      continue
    }
    const offset = i + 1 // the backslash, counted from the opening quote
    const escape = body[++i]
    if (Object.hasOwn(SIMPLE_ESCAPES, escape)) value += SIMPLE_ESCAPES[escape]
    else if (escape === quote) value += quote
    else if (Object.hasOwn(HEX_DIGITS, escape) || /[0-7]/.test(escape)) {
      const octal = !Object.hasOwn(HEX_DIGITS, escape)
      const length = octal ? 3 : HEX_DIGITS[escape]
      const digits = octal ? body.slice(i, i + 3) : body.slice(i + 1, i + 1 + length)
      const pattern = octal ? /^[0-7]{3}$/ : /^[0-9a-fA-F]+$/
      if (digits.length !== length || !pattern.test(digits)) {
        const bad = [...digits].find((d) => !pattern.test(d)) ?? quote
        throw new StringLiteralError(offset, `illegal character ${codePoint(bad)} in escape sequence`)
      }
      const point = parseInt(digits, octal ? 8 : 16)
      if ((octal && point > 255) || point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) {
        throw new StringLiteralError(offset, 'escape sequence is an invalid Unicode code point')
      }
      value += String.fromCodePoint(point)
      i += octal ? 2 : length
    } else {
      throw new StringLiteralError(offset, `unknown escape sequence ${codePoint(escape)}`)
    }
  }
  return value
}

/** `"a\\"` ends with an escaped backslash and a real closing quote; `"a\"` has no closing quote. */
function closingQuoteIsReal(raw: string): boolean {
  let count = 0
  for (let i = raw.length - 2; i > 0 && raw[i] === '\\'; i--) count++
  return count % 2 === 0
}
