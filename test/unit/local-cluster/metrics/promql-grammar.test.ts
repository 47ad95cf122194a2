import {describe, expect, test} from 'vitest'
import {errorRateQuery, latencyQuantileQuery, requestRateQuery} from '../../../../src/analysis/queries.js'
import {parsePromql, PromqlParseError, type Expr} from '../../../../src/local-cluster/metrics/promql/parser.js'
import {StringLiteralError, unquotePromqlString} from '../../../../src/local-cluster/metrics/promql/string-literal.js'
import {handlePrometheusApi} from '../../../../src/local-cluster/metrics/prometheus-api.js'

/** What `run` throws; fails the test when it returns. */
function thrownBy(run: () => unknown): Error {
  try {
    run()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected an error, got none')
}

function parseError(query: string): PromqlParseError {
  const error = thrownBy(() => parsePromql(query))
  expect(error).toBeInstanceOf(PromqlParseError)
  return error as PromqlParseError
}

const x: Expr = {type: 'selector', matchers: [{name: '__name__', op: '=', value: 'x'}]}
const named = (name: string, ...rest: Array<[string, '=' | '!=' | '=~' | '!~', string]>): Expr => ({
  type: 'selector',
  matchers: [{name: '__name__', op: '=', value: name}, ...rest.map(([label, op, value]) => ({name: label, op, value}))],
})

describe('the grammar features the analysis queries use', () => {
  test.each([
    ['left-associative division', 'x / y / z', {type: 'binary', op: '/', lhs: {type: 'binary', op: '/', lhs: x, rhs: named('y')}, rhs: named('z')}],
    ['parentheses', '((x))', x],
    ['sum with by before', 'sum by (le) (x)', {type: 'sum', by: ['le'], arg: x}],
    ['sum with by after', 'sum(x) by (le, service)', {type: 'sum', by: ['le', 'service'], arg: x}],
    ['aggregation keywords in any case', 'SUM(x)', {type: 'sum', arg: x}],
    ['an empty grouping', 'sum by () (x)', {type: 'sum', by: [], arg: x}],
    ['a trailing comma in grouping', 'sum by (a,) (x)', {type: 'sum', by: ['a'], arg: x}],
    ['every matcher operator', 'x{a="1",b!="2",c=~"3.*",d!~"4"}', named('x', ['a', '=', '1'], ['b', '!=', '2'], ['c', '=~', '3.*'], ['d', '!~', '4'])],
    ['a trailing comma in matchers', 'x{a="b",}', named('x', ['a', '=', 'b'])],
    ['keywords as label names', 'x{by="a",on="b"}', named('x', ['by', '=', 'a'], ['on', '=', 'b'])],
    ['no metric name', '{__name__="x",a="b"}', {type: 'selector', matchers: [{name: '__name__', op: '=', value: 'x'}, {name: 'a', op: '=', value: 'b'}]}],
    ['a range of every unit', 'x[1y2w3d4h5m6s7ms]', {...x, rangeMs: 31_536_000_000 + 2 * 604_800_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6000 + 7}],
    ['rate of a range', 'rate(x[1m30s])', {type: 'call', func: 'rate', arg: {...x, rangeMs: 90_000}}],
    ['histogram_quantile', 'histogram_quantile(0.99, x)', {type: 'call', func: 'histogram_quantile', quantile: {type: 'number', value: 0.99}, arg: x}],
    ['a negative quantile (unary minus folded)', 'histogram_quantile(-1, x)', {type: 'call', func: 'histogram_quantile', quantile: {type: 'number', value: -1}, arg: x}],
    ['a signed literal', '-1.5', {type: 'number', value: -1.5}],
    ['exponent', '1.5e2', {type: 'number', value: 150}],
    ['leading dot', '.5', {type: 'number', value: 0.5}],
    ['hex', '0x1f', {type: 'number', value: 31}],
    ['comments and new lines', 'x\n  # the rest of the line is a comment\n  / 2', {type: 'binary', op: '/', lhs: x, rhs: {type: 'number', value: 2}}],
  ] as Array<[string, string, Expr]>)('%s: %s', (_what, query, expected) => {
    expect(parsePromql(query)).toEqual(expected)
  })

  test.each([
    ['Inf', Infinity],
    ['+Inf', Infinity],
    ['-inf', -Infinity],
  ])('%s is %d', (query, value) => {
    expect(parsePromql(query)).toEqual({type: 'number', value})
  })

  test('NaN in any case', () => {
    const expr = parsePromql('nAn')
    expect(expr.type === 'number' && Number.isNaN(expr.value)).toBe(true)
  })

  test.each([
    ['double quotes with escapes', 'x{a="q\\"uote\\n\\\\"}', 'q"uote\n\\'],
    ['single quotes', "x{a='it\\'s'}", "it's"],
    ['backquotes are raw', 'x{a=`b\\n`}', 'b\\n'],
    ['\\u escapes', 'x{a="\\u00e9"}', 'é'],
    ['\\U escapes', 'x{a="\\U0001F600"}', '😀'],
    ['octal escapes', 'x{a="\\101"}', 'A'],
    ['hex escapes', 'x{a="\\x41"}', 'A'],
    ['non-ASCII text', 'x{a="é-ü"}', 'é-ü'],
  ])('label values: %s', (_what, query, value) => {
    expect(parsePromql(query)).toEqual(named('x', ['a', '=', value]))
  })

  test('values the analysis escapes come back unchanged', () => {
    const awkward = 'a"b\\c\nd\te'
    const expr = parsePromql(requestRateQuery({namespace: awkward, service: 'visitors', window: '1m'}))
    expect(expr).toMatchObject({type: 'sum', arg: {type: 'call', func: 'rate', arg: {matchers: [{name: '__name__'}, {name: 'namespace', value: awkward}, {name: 'service', value: 'visitors'}]}}})
  })

  test.each([
    ['error rate', errorRateQuery({namespace: 'mygate', service: 'visitors', version: '1.2.0', window: '1m'})],
    ['p50 latency, all versions', latencyQuantileQuery(0.5, {namespace: 'mygate', service: 'visitors', window: '30s'})],
  ])('the %s query parses', (_what, query) => {
    expect(() => parsePromql(query)).not.toThrow()
  })
})

describe('rejected input: Prometheus-shaped messages that name the position', () => {
  test.each([
    ['', '1:1: parse error: no expression found in input'],
    ['  # only a comment', '1:1: parse error: no expression found in input'],
    ['x y', '1:3: parse error: unexpected identifier "y"'],
    ['x\n/ y z', '2:5: parse error: unexpected identifier "z"'],
    ['x{a="é"} $', '1:11: parse error: unexpected character: \'$\''], // columns count bytes, as Go does
    ['x{a="b"', '1:8: parse error: unexpected end of input in label matching, expected "," or "}"'],
    ['x{a="b" c="d"}', '1:9: parse error: unexpected identifier "c" in label matching, expected "," or "}"'],
    ['x{a=b}', '1:5: parse error: unexpected identifier "b" in label matching, expected string'],
    ['x{a}', '1:4: parse error: unexpected "}" in label matching, expected label matching operator'],
    ['sum by (a', '1:10: parse error: unexpected end of input in grouping opts, expected "," or ")"'],
    ['(x', '1:3: parse error: unexpected end of input in paren expression, expected ")"'],
    ['sum(x', '1:6: parse error: unexpected end of input in call, expected "," or ")"'],
    ['x[1m', '1:5: parse error: unexpected end of input in range selector, expected "]"'],
    ['x /', '1:4: parse error: unexpected end of input'],
    ['foo(x)', '1:1: parse error: unknown function with name "foo"'],
    ['Rate(x[1m])', '1:1: parse error: unknown function with name "Rate"'],
    ['x{a="b}', '1:5: parse error: unterminated quoted string'],
    ['x{a="\\q"}', "1:6: parse error: unknown escape sequence U+0071 'q'"],
    ['x{a="\\ud800"}', '1:6: parse error: escape sequence is an invalid Unicode code point'],
    ['x{a=~"("}', '1:6: parse error: invalid regular expression "("'],
    ['{a=""}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['{a!="x"}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['x{__name__="y"}', '1:1: parse error: metric name must not be set twice: "x" or "y"'],
    ['x[0s]', '1:3: parse error: duration must be greater than 0'],
    ['x[5x]', '1:3: parse error: bad duration syntax: "5x"'],
    ['x[60]', '1:3: parse error: bad duration syntax: "60"'],
    ['1m', '1:1: parse error: unexpected duration "1m"'],
    ['1_000', '1:1: parse error: bad number or duration syntax: "1_000"'],
    ['rate(x)', '1:1: parse error: expected type range vector in call to function "rate", got instant vector'],
    ['rate(1)', '1:1: parse error: expected type range vector in call to function "rate", got scalar'],
    ['rate(x[1m], y)', '1:1: parse error: expected 1 argument(s) in call to "rate", got 2'],
    ['histogram_quantile(0.5)', '1:1: parse error: expected 2 argument(s) in call to "histogram_quantile", got 1'],
    ['sum(x, y)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2'],
    ['sum(x)[1m]', '1:7: parse error: ranges only allowed for vector selectors'],
  ])('%j: %s', (query, message) => {
    expect(parseError(query).message).toBe(message)
  })

  test.each([
    ['x * 2', '1:3: parse error: operator "*" is not supported by the local Prometheus (only "/")'],
    ['x +', '1:3: parse error: operator "+" is not supported by the local Prometheus (only "/")'], // the operator comes before the missing operand
    ['x and y', '1:3: parse error: operator "and" is not supported by the local Prometheus (only "/")'],
    ['x / bool y', '1:5: parse error: the "bool" modifier is not supported by the local Prometheus'],
    ['x / on(a) y', '1:5: parse error: the "on" modifier is not supported by the local Prometheus'],
    ['avg(x)', '1:1: parse error: unknown function with name "avg" (the local Prometheus evaluates only sum, rate and histogram_quantile)'],
    ['irate(x[1m])', '1:1: parse error: unknown function with name "irate" (the local Prometheus evaluates only sum, rate and histogram_quantile)'],
    ['sum without (a) (x)', '1:5: parse error: "without" is not supported by the local Prometheus'],
    ['x[5m:1m]', '1:5: parse error: subqueries are not supported by the local Prometheus'],
    ['x[1m] offset 1m', '1:7: parse error: the "offset" modifier is not supported by the local Prometheus'],
    ['x @ 100', '1:3: parse error: the "@" modifier is not supported by the local Prometheus'],
    ['x[1m+1m]', '1:3: parse error: duration expressions are not supported by the local Prometheus'],
    ['-x', '1:1: parse error: unary "-" is not supported by the local Prometheus'],
    ['"text"', '1:1: parse error: string literals are not supported by the local Prometheus'],
    ['x{"a"="b"}', '1:3: parse error: quoted label names are not supported by the local Prometheus'],
    ['sum by ("le") (x)', '1:9: parse error: quoted label names are not supported by the local Prometheus'],
  ])('PromQL the local Prometheus does not evaluate: %j', (query, message) => {
    expect(parseError(query).message).toBe(message)
  })

  test('over the HTTP API: 400, bad_data, the position in the message', () => {
    const response = handlePrometheusApi('api/v1/query', new URLSearchParams({query: 'sum(rate(x[1m])) * 100'}), [] as never, 0)
    expect(response).toEqual({status: 400, body: {status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:18: parse error: operator "*" is not supported by the local Prometheus (only "/")'}})
  })
})

describe('unquotePromqlString', () => {
  test.each([
    ['""', ''],
    ['"a\\"b"', 'a"b'],
    ['"a\\\\"', 'a\\'],
    ["'a\\'b'", "a'b"],
    ["'a\"b'", 'a"b'],
    ['"\\a\\b\\f\\n\\r\\t\\v"', '\x07\b\f\n\r\t\v'],
    ['"\\x41\\101\\u0041\\U00000041"', 'AAAA'],
    ['`raw\\n\r`', 'raw\\n'],
  ])('%s -> %j', (raw, value) => {
    expect(unquotePromqlString(raw)).toBe(value)
  })

  test.each([
    ['"', 0, 'unterminated quoted string'],
    ['"a\\"', 0, 'unterminated quoted string'],
    ['"a', 0, 'unterminated quoted string'],
    ['"a\\\'"', 2, "unknown escape sequence U+0027 '''"],
    ["'a\\\"'", 2, 'unknown escape sequence U+0022 \'"\''],
    ['"\\x4"', 1, 'illegal character U+0022 \'"\' in escape sequence'],
    ['"\\uZZZZ"', 1, "illegal character U+005A 'Z' in escape sequence"],
    ['"\\400"', 1, 'escape sequence is an invalid Unicode code point'],
    ['"\\U00110000"', 1, 'escape sequence is an invalid Unicode code point'],
  ])('refuses %s at offset %i: %s', (raw, offset, message) => {
    const error = thrownBy(() => unquotePromqlString(raw))
    expect(error).toBeInstanceOf(StringLiteralError)
    expect({offset: (error as StringLiteralError).offset, message: error.message}).toEqual({offset, message})
  })
})
