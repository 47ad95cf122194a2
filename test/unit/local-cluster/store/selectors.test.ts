import {describe, expect, test} from 'vitest'

import {
  compileFieldSelector,
  compileLabelSelector,
  compileLabelSelectorObject,
  formatLabelSelectorObject,
  parseLabelSelector,
} from '../../../../src/local-cluster/store/selectors.js'
import type {KubeObject} from '../../../../src/kube/types.js'

describe('label selectors', () => {
  const labels = {app: 'web', tier: 'front', 'example.com/team': 'a'}
  test.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=api', true],
    ['app in (api, web)', true],
    ['app notin (api,web)', false],
    ['app notin (api)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['missing', false],
    ['missing!=x', true],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['example.com/team=a', true],
    ['app in (web),!missing,tier', true],
    ['', true],
  ])('%s -> %s', (selector, expected) => {
    expect(compileLabelSelector(selector)(labels)).toBe(expected)
  })

  test('parses set-based requirements with their values', () => {
    expect(parseLabelSelector('env in (prod, staging),!canary')).toEqual([
      {key: 'env', operator: 'in', values: ['prod', 'staging']},
      {key: 'canary', operator: '!exists', values: []},
    ])
  })

  test('a malformed selector is a 400 BadRequest', () => {
    expect(() => parseLabelSelector('app=(x')).toThrow(expect.objectContaining({status: expect.objectContaining({code: 400, reason: 'BadRequest'})}))
  })

  test('structured selectors (matchLabels + matchExpressions)', () => {
    const matcher = compileLabelSelectorObject({matchLabels: {app: 'web'}, matchExpressions: [{key: 'tier', operator: 'In', values: ['front']}]})
    expect(matcher(labels)).toBe(true)
    expect(matcher({app: 'web', tier: 'back'})).toBe(false)
    expect(compileLabelSelectorObject({})({})).toBe(true)
    expect(formatLabelSelectorObject({matchLabels: {app: 'web'}, matchExpressions: [{key: 'x', operator: 'Exists'}]})).toBe('app=web,x')
  })
})

describe('field selectors', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name: 'p1', namespace: 'ns1'},
    spec: {nodeName: 'node-a'},
    status: {phase: 'Running'},
  } as KubeObject
  test.each([
    ['metadata.name=p1', true],
    ['metadata.name==p1', true],
    ['metadata.name!=p1', false],
    ['metadata.namespace=ns1,status.phase=Running', true],
    ['status.phase!=Running', false],
    ['spec.nodeName=node-a', true],
    ['spec.nodeName=', false],
    ['spec.missing.deep=', true],
  ])('%s -> %s', (selector, expected) => {
    expect(compileFieldSelector(selector)(pod)).toBe(expected)
  })

  test('a malformed field selector is a 400', () => {
    expect(() => compileFieldSelector('metadata.name')).toThrow(expect.objectContaining({status: expect.objectContaining({code: 400})}))
  })
})
