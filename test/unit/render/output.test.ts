import {parseAllDocuments} from 'yaml'
import {describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../src/kube/types.js'
import {toJsonList, toYamlStream} from '../../../src/render/output.js'

const object = (name: string, args: unknown[]): KubeObject => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name}, data: {}, args} as KubeObject)

describe('toYamlStream', () => {
  test('strings a YAML 1.1 reader (kubectl) would take for booleans or numbers stay strings', () => {
    const tricky = ['yes', 'no', 'on', 'off', 'y', 'n', 'true', '0755', '1:20', '1e3', '~', 'null']
    const stream = toYamlStream([object('a', tricky)])
    const [doc] = parseAllDocuments(stream, {version: '1.1'})
    expect((doc.toJS() as {args: unknown[]}).args).toEqual(tricky)
  })

  test('numbers and booleans stay typed, documents are separated by ---', () => {
    const stream = toYamlStream([object('a', [1, true]), object('b', [])])
    const docs = parseAllDocuments(stream, {version: '1.1'}).map((d) => d.toJS() as {metadata: {name: string}; args: unknown[]})
    expect(docs.map((d) => d.metadata.name)).toEqual(['a', 'b'])
    expect(docs[0].args).toEqual([1, true])
  })

  test('the JSON form is a v1 List', () => {
    expect(JSON.parse(toJsonList([object('a', [])]))).toMatchObject({apiVersion: 'v1', kind: 'List', items: [{metadata: {name: 'a'}}]})
  })
})
