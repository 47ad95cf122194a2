import {describe, expect, test} from 'vitest'

import {isCronExpression} from '../../../src/catalog/cron.js'
import {descriptorSchema} from '../../../src/catalog/descriptor-schema.js'
import {projectSchema} from '../../../src/config/project-schema.js'
import {compileSchema, describeSchema, describeValue} from '../../../src/config/schema-validation.js'

describe('the schemas themselves', () => {
  // The CLI skips the meta-schema check to start faster; this is where it still happens.
  test.each([
    ['descriptor', descriptorSchema],
    ['project', projectSchema],
  ])('the %s schema is a valid strict JSON schema', (_name, schema) => {
    expect(() => compileSchema(schema, {cron: isCronExpression}, {validateSchema: true})).not.toThrow()
  })

  test('a schema with an unknown keyword is refused (strict mode)', () => {
    expect(() => compileSchema({type: 'object', properties: {a: {type: 'string', minimun: 1}}}, {}, {validateSchema: true})).toThrow(/minimun/)
  })
})

describe('messages', () => {
  test.each([
    [{type: 'integer', minimum: 0, maximum: 100}, 'an integer between 0 and 100'],
    [{type: 'integer', minimum: 1}, 'an integer >= 1'],
    [{type: 'number', maximum: 1}, 'a number <= 1'],
    [{type: 'string'}, 'a string'],
    [{type: 'boolean'}, 'true or false'],
    [{type: 'object'}, 'a mapping'],
    [{type: 'array'}, 'a list'],
    [{enum: ['a', 'b']}, 'one of a, b'],
    [{type: 'string', pattern: '^x$', description: 'an x'}, 'an x'],
  ])('describeSchema(%j) = %s', (schema, expected) => {
    expect(describeSchema(schema)).toBe(expected)
  })

  test.each([
    ['three', '"three"'],
    [7, '7'],
    [null, 'nothing'],
    [[1], 'a list'],
    [{a: 1}, 'a mapping'],
    ['x'.repeat(100), `"${'x'.repeat(56)}..."`],
  ])('describeValue(%j) = %s', (value, expected) => {
    expect(describeValue(value)).toBe(expected)
  })

  test('problems carry field paths with list indexes as numbers', () => {
    const check = compileSchema({type: 'object', properties: {list: {type: 'array', items: {type: 'integer'}}}})
    expect(check({list: [1, 'two']})).toEqual([{path: ['list', 1], message: 'must be an integer, got "two"'}])
  })
})
