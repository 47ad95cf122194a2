import {describe, expect, test} from 'vitest'

import {applyChangesNothing} from '../../../src/drift/apply-noop.js'
import {formatPath} from '../../../src/drift/field-path.js'
import {ownersOf} from '../../../src/drift/field-owners.js'
import {isIgnored} from '../../../src/drift/ignore-list.js'
import {ownedByOperation, rolloutsInProgress} from '../../../src/drift/in-progress.js'
import {redactField} from '../../../src/drift/redact.js'
import {removalPatch} from '../../../src/drift/removal-patch.js'
import {planSync} from '../../../src/drift/sync.js'
import {handMadeBy, isProtected} from '../../../src/drift/undeclared.js'
import type {DriftFinding} from '../../../src/drift/diff.js'
import type {KubeObject} from '../../../src/kube/types.js'

describe('field paths and owners', () => {
  test.each([
    [['f:spec', 'f:replicas'], 'spec.replicas'],
    [['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"api"}', 'f:image'], 'spec.template.spec.containers[name=api].image'],
    [['f:metadata', 'f:labels', 'f:app.kubernetes.io/name'], 'metadata.labels["app.kubernetes.io/name"]'],
    [['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}'], 'spec.ports[port=80,protocol=TCP]'],
  ])('%j prints as %s', (path, printed) => expect(formatPath(path)).toBe(printed))

  test('an atomic value is owned whole; the newest owner comes first', () => {
    const entries = [
      {manager: 'mygate', operation: 'Apply', time: '2026-01-01T00:00:00Z', fieldsV1: {'f:rules': {}}},
      {manager: 'kubectl-edit', operation: 'Update', time: '2026-02-01T00:00:00Z', fieldsV1: {'f:rules': {}}},
    ]
    expect(ownersOf(entries, ['f:rules']).map((o) => o.manager)).toEqual(['kubectl-edit', 'mygate'])
    expect(ownersOf(entries, ['f:rules', 'i:0']).map((o) => o.manager)).toEqual(['kubectl-edit', 'mygate'])
    expect(ownersOf(entries, ['f:metadata'])).toEqual([])
  })
})

describe('drift.ignore', () => {
  const entries = [{kind: 'Deployment', name: 'visit*', paths: ['spec.template.spec.containers[name=*].env', 'metadata.annotations["example.com/owner"]']}]
  test.each([
    ['Deployment', 'visitors', 'spec.template.spec.containers[name=visitors].env[name=DEBUG]', true],
    ['Deployment', 'visitors', 'spec.template.spec.containers[name=visitors].envFrom', false],
    ['Deployment', 'visitors', 'spec.template.spec.containers[name=visitors].image', false],
    ['Deployment', 'visitors', 'metadata.annotations["example.com/owner"]', true],
    ['Deployment', 'billing', 'spec.template.spec.containers[name=billing].env', false],
    ['StatefulSet', 'visitors', 'spec.template.spec.containers[name=visitors].env', false],
  ])('%s %s %s -> %s', (kind, name, field, ignored) => expect(isIgnored(entries, {kind, name, namespace: 'mygate', field})).toBe(ignored))
})

describe('Secret values are only ever hashes', () => {
  test('data values and whole data maps are hashed; other kinds and fields are left alone', () => {
    expect(redactField('Secret', 'data.password', 'c2VjcmV0')).toMatch(/^sha256:[0-9a-f]{12}$/)
    expect(redactField('Secret', 'data.password', 'c2VjcmV0')).not.toContain('c2VjcmV0')
    expect(redactField('Secret', 'data', {a: 'eA=='})).toEqual({a: expect.stringMatching(/^sha256:/)})
    expect(redactField('Secret', 'metadata.labels.a', 'x')).toBe('x')
    expect(redactField('ConfigMap', 'data.a', 'x')).toBe('x')
  })
})

describe('removalPatch', () => {
  test('removes hand-added list items from the highest index down, each guarded by a test', () => {
    const live = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name: 'api'},
      spec: {template: {spec: {containers: [{name: 'api', env: [{name: 'A'}, {name: 'X', value: '1'}, {name: 'Y', value: '2'}]}]}}},
    } as KubeObject
    const env = ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"api"}', 'f:env']
    expect(removalPatch(live, [[...env, 'k:{"name":"X"}'], [...env, 'k:{"name":"Y"}']])).toEqual([
      {op: 'test', path: '/spec/template/spec/containers/0/env/2', value: {name: 'Y', value: '2'}},
      {op: 'remove', path: '/spec/template/spec/containers/0/env/2'},
      {op: 'test', path: '/spec/template/spec/containers/0/env/1', value: {name: 'X', value: '1'}},
      {op: 'remove', path: '/spec/template/spec/containers/0/env/1'},
    ])
    expect(removalPatch({...live, metadata: {name: 'api', labels: {'a/b': 'c'}}}, [['f:metadata', 'f:labels', 'f:a/b']])).toEqual([
      {op: 'test', path: '/metadata/labels/a~1b', value: 'c'},
      {op: 'remove', path: '/metadata/labels/a~1b'},
    ])
  })
})

describe('undeclared objects', () => {
  const object = (meta: Record<string, unknown>, kind = 'ConfigMap'): KubeObject => ({apiVersion: 'v1', kind, metadata: {name: 'x', namespace: 'mygate', ...meta}})
  test.each([
    ['kubectl create configmap', object({managedFields: [{manager: 'kubectl-create', operation: 'Update'}]}), 'kubectl-create'],
    ['written by mygate (a record, a canary Deployment)', object({managedFields: [{manager: 'mygate', operation: 'Apply'}]}), undefined],
    ['kube-root-ca.crt (controller only)', object({managedFields: [{manager: 'kube-controller-manager', operation: 'Update'}]}), undefined],
    ['made by the control plane without managedFields', object({}), undefined],
    ['owned by a controller (a ReplicaSet)', object({ownerReferences: [{uid: 'u'}], managedFields: [{manager: 'kubectl-create', operation: 'Update'}]}), undefined],
  ])('%s -> %s', (_what, live, manager) => expect(handMadeBy(live)).toBe(manager))

  test.each([
    ['PersistentVolumeClaim', 'mygate-data', true],
    ['Secret', 'mygate', true],
    ['StatefulSet', 'mygate', true],
    ['Deployment', 'mygate-data', true],
    ['ConfigMap', 'mygate', false],
    ['Deployment', 'mygate', false],
  ])('%s in %s protected from --prune: %s', (kind, namespace, expected) => expect(Boolean(isProtected({kind, metadata: {namespace}}))).toBe(expected))
})

describe('planSync', () => {
  const finding = (status: 'drifted' | 'missing' | 'undeclared', kind: string, name: string): DriftFinding => ({
    report: {region: 'r1', apiVersion: 'v1', kind, namespace: 'mygate', name, status, fields: status === 'drifted' ? [{field: 'data.a', change: 'changed', owners: []}] : []},
    adopt: [],
  })
  test('creates and applies in apply order, deletes undeclared objects only with --prune, never protected ones', () => {
    const findings = [finding('undeclared', 'ConfigMap', 'hand'), finding('undeclared', 'Secret', 'hand-secret'), finding('drifted', 'Deployment', 'api'), finding('missing', 'NetworkPolicy', 'deny')]
    const withoutPrune = planSync(findings, {prune: false}).map((s) => [s.action, s.kind])
    expect(withoutPrune).toEqual([['create', 'NetworkPolicy'], ['apply', 'Deployment'], ['keep', 'ConfigMap'], ['keep', 'Secret']])
    const pruned = planSync(findings, {prune: true})
    expect(pruned.map((s) => [s.action, s.kind])).toEqual([['create', 'NetworkPolicy'], ['apply', 'Deployment'], ['delete', 'ConfigMap'], ['keep', 'Secret']])
    expect(pruned.at(-1)?.reason).toMatch(/never deleted: a Secret/)
  })
})

describe('operations in progress', () => {
  const record = (service: string, phase: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {name: `mygate-rollout-${service}`, namespace: 'mygate-system', labels: {'mygate.dev/rollout-service': service}},
    data: {'state.json': '{not json'},
    phase,
  })
  test('an unreadable rollout record counts as in progress (strictest reading); its objects are owned', () => {
    const busy = rolloutsInProgress([record('visitors', 'Paused')])
    expect([...busy.keys()]).toEqual(['visitors'])
    expect(ownedByOperation({metadata: {name: 'visitors-canary', namespace: 'mygate'}}, busy)?.service).toBe('visitors')
    expect(ownedByOperation({metadata: {name: 'visitors', namespace: 'mygate', labels: {'app.kubernetes.io/name': 'visitors'}}}, busy)?.service).toBe('visitors')
    expect(ownedByOperation({metadata: {name: 'billing', namespace: 'mygate'}}, busy)).toBeUndefined()
  })
})

describe('applyChangesNothing: when the dry-run can be skipped', () => {
  const desired: KubeObject = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'c', namespace: 'mygate', labels: {a: '1'}}, data: {k: 'v'}}
  const applied = {manager: 'mygate', operation: 'Apply', fieldsV1: {'f:metadata': {'f:labels': {'f:a': {}}}, 'f:data': {'f:k': {}}}}
  const live = (data: Record<string, string>, managedFields: unknown[] = [applied]): KubeObject => ({...desired, metadata: {...desired.metadata, uid: 'u', resourceVersion: '7', managedFields}, data})
  test.each([
    ['the live object holds every desired value and mygate applied the same fields', live({k: 'v'}), true],
    ['a value differs', live({k: 'other'}), false],
    ['mygate applied more fields last time (the apply would prune one)', live({k: 'v'}, [{...applied, fieldsV1: {...applied.fieldsV1, 'f:data': {'f:k': {}, 'f:old': {}}}}]), false],
    ['mygate never applied it', live({k: 'v'}, []), false],
    ['another manager took a field over (mygate no longer owns it all)', live({k: 'v'}, [{...applied, fieldsV1: {'f:metadata': {'f:labels': {'f:a': {}}}}}]), false],
  ])('%s -> %s', (_what, object, expected) => expect(applyChangesNothing(desired, object)).toBe(expected))
})
