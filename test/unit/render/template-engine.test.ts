import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {UsageError} from '../../../src/errors.js'
import {toYamlStream} from '../../../src/render/output.js'
import {OMIT, compileTemplate, renderTemplate} from '../../../src/render/template-engine.js'
import type {KubeObject} from '../../../src/kube/types.js'

const render = (source: string, context: Record<string, unknown>) => renderTemplate(compileTemplate(source, 'templates/t.yaml'), context)

function renderError(source: string, context: Record<string, unknown>): UsageError {
  try {
    render(source, context)
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return error as UsageError
  }
  throw new Error('expected the render to fail')
}

describe('typed substitution', () => {
  it('keeps numbers, booleans, lists and maps typed when the placeholder is the whole value', () => {
    const [doc] = render('replicas: ${r}\nenabled: ${e}\nports: ${p}\nlabels: ${l}\n', {
      r: 3,
      e: false,
      p: [80, 443],
      l: {a: 'b'},
    })
    expect(doc).toEqual({replicas: 3, enabled: false, ports: [80, 443], labels: {a: 'b'}})
  })

  it('interpolates placeholders inside a longer string', () => {
    const [doc] = render('image: "${registry}/${image.repository}:${version}"\n', {
      registry: 'reg.example',
      image: {repository: 'mygate/auth'},
      version: '1.2.3',
    })
    expect(doc).toEqual({image: 'reg.example/mygate/auth:1.2.3'})
  })

  it('turns a quoted whole-value placeholder into a string', () => {
    const [doc] = render('port: "${port}"\nraw: ${port}\n', {port: 8080})
    expect(doc).toEqual({port: '8080', raw: 8080})
  })

  it('resolves paths through nested maps', () => {
    expect(render('x: ${a.b.c}\n', {a: {b: {c: 'deep'}}})).toEqual([{x: 'deep'}])
  })

  it('writes a literal ${ for $${', () => {
    expect(render('x: "cost $${HOME} ${n}"\n', {n: 1})).toEqual([{x: 'cost ${HOME} 1'}])
  })

  it('never shares structure between renders', () => {
    const labels = {a: 'b'}
    const template = compileTemplate('one: ${labels}\ntwo: ${labels}\n', 't.yaml')
    const [doc] = renderTemplate(template, {labels}) as Array<{one: Record<string, string>; two: Record<string, string>}>
    doc.one.a = 'changed'
    expect(doc.two.a).toBe('b')
    expect(labels.a).toBe('b')
  })
})

describe('omit and $when', () => {
  it('drops a key whose value is OMIT and a list item that is OMIT', () => {
    const [doc] = render('a: ${x}\nb: 1\nlist:\n  - ${x}\n  - 2\n', {x: OMIT})
    expect(doc).toEqual({b: 1, list: [2]})
  })

  it('drops a whole document when its $when is false, keeps it (without $when) when true', () => {
    const source = '$when: ${on}\nkind: A\n---\nkind: B\n'
    expect(render(source, {on: false})).toEqual([{kind: 'B'}])
    expect(render(source, {on: true})).toEqual([{kind: 'A'}, {kind: 'B'}])
  })

  it('drops list items by $when and does not evaluate what is below a false $when', () => {
    const source = 'rules:\n  - $when: ${db.enabled}\n    port: ${db.port}\n  - port: 53\n'
    expect(render(source, {db: {enabled: false}})).toEqual([{rules: [{port: 53}]}])
    expect(render(source, {db: {enabled: true, port: 27017}})).toEqual([{rules: [{port: 27017}, {port: 53}]}])
  })

  it('rejects a $when that is not a boolean', () => {
    const error = renderError('$when: ${on}\nkind: A\n', {on: 'yes'})
    expect(error.message).toContain('templates/t.yaml:1')
    expect(error.message).toContain('must be true or false')
  })
})

describe('no YAML injection', () => {
  it('keeps a value with ": ", newlines and a document marker one string, through the YAML output too', () => {
    const evil = 'x\nkind: Secret\n---\nmetadata: {name: pwned}\nkey: value'
    const [doc] = render('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  note: ${evil}\n  line: "prefix ${evil}"\n', {
      name: 'cm',
      evil,
    })
    const object = doc as KubeObject
    expect(object.data).toEqual({note: evil, line: `prefix ${evil}`})
    const stream = toYamlStream([object])
    const reparsed = stream.split(/^---$/m)
    expect(reparsed).toHaveLength(1)
    expect(parse(stream)).toEqual(object)
  })
})

describe('errors name the template file and line', () => {
  it('reports an unknown placeholder with its line', () => {
    const error = renderError('a: 1\nb:\n  c: ${nope.value}\n', {known: 1})
    expect(error.message).toBe('templates/t.yaml:3: unknown placeholder ${nope.value}')
    expect(error.hint).toContain('known')
    expect(error.details).toEqual({file: 'templates/t.yaml', line: 3})
  })

  it('reports a missing value under a known name', () => {
    const error = renderError('a: 1\nb: "x-${service.port}"\n', {service: {name: 'auth'}})
    expect(error.message).toContain('templates/t.yaml:2: missing value for ${service.port}')
  })

  it('reports a value that is undefined', () => {
    const error = renderError('\n\nb: ${service}\n', {service: undefined})
    expect(error.message).toContain('templates/t.yaml:3: missing value')
  })

  it('refuses to interpolate a list into a string', () => {
    const error = renderError('a: "x ${list}"\n', {list: [1]})
    expect(error.message).toContain('templates/t.yaml:1')
    expect(error.message).toContain('must be a string, number or boolean')
  })

  it('rejects a malformed placeholder and invalid YAML at compile time, with the line', () => {
    expect(() => compileTemplate('a: 1\nb: ${ not a path }\n', 't.yaml')).toThrow(/t\.yaml:2: malformed placeholder/)
    expect(() => compileTemplate('a: 1\nb: [unclosed\n', 't.yaml')).toThrow(/t\.yaml:\d+: invalid YAML/)
  })
})
