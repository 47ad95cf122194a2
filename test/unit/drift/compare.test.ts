import {describe, expect, test} from 'vitest'

import {compareObject} from '../../../src/drift/compare.js'
import {classify} from '../../../src/drift/drift-rules.js'
import type {KubeObject} from '../../../src/kube/types.js'

const container = (extra: Record<string, unknown> = {}) => ({name: 'api', image: 'r/api:1', imagePullPolicy: 'IfNotPresent', env: [{name: 'A', value: '1'}], ...extra})

function deployment(containerFields: Record<string, unknown>, meta: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name: 'api', namespace: 'mygate', labels: {app: 'api'}, ...meta},
    spec: {replicas: 2, template: {spec: {containers: [containerFields]}}, ...spec},
  }
}

const mygateApply = {
  manager: 'mygate',
  operation: 'Apply',
  time: '2026-12-01T00:00:00Z',
  fieldsV1: {
    'f:metadata': {'f:labels': {'f:app': {}}},
    'f:spec': {
      'f:replicas': {},
      'f:template': {'f:spec': {'f:containers': {'k:{"name":"api"}': {'.': {}, 'f:name': {}, 'f:image': {}, 'f:env': {'k:{"name":"A"}': {'.': {}, 'f:name': {}, 'f:value': {}}}}}}},
    },
  },
}

describe('compareObject: differences between the dry-run of the desired object and the live one', () => {
  const desired = deployment({name: 'api', image: 'r/api:1', env: [{name: 'A', value: '1'}]})

  test('an unchanged object (API-server defaults only in the live object) has no differences', () => {
    const live = deployment(container(), {managedFields: [mygateApply]})
    expect(compareObject({desired, dryRun: structuredClone(live), live})).toEqual([])
  })

  test.each([
    {
      what: '`kubectl set image`: a changed value, owned by kubectl-set',
      live: deployment(container({image: 'r/api:9'}), {
        managedFields: [mygateApply, {manager: 'kubectl-set', operation: 'Update', time: '2026-12-02T00:00:00Z', fieldsV1: {'f:spec': {'f:template': {'f:spec': {'f:containers': {'k:{"name":"api"}': {'f:image': {}}}}}}}}],
      }),
      dryRun: deployment(container()),
      expected: {kind: 'changed', field: 'spec.template.spec.containers[name=api].image', desired: 'r/api:1', live: 'r/api:9', owners: [expect.objectContaining({manager: 'kubectl-set'}), expect.objectContaining({manager: 'mygate'})]},
    },
    {
      what: 'a removed probe: one difference at the probe, nobody owns it',
      live: deployment(container(), {managedFields: [mygateApply]}),
      dryRun: deployment(container({readinessProbe: {httpGet: {path: '/ready', port: 8080}, periodSeconds: 5}})),
      expected: {kind: 'missing', field: 'spec.template.spec.containers[name=api].readinessProbe', desired: {httpGet: {path: '/ready', port: 8080}, periodSeconds: 5}, owners: []},
    },
    {
      what: '`kubectl set env`: an entry added inside the env list mygate renders',
      live: deployment(container({env: [{name: 'A', value: '1'}, {name: 'FOO', value: 'bar'}]}), {
        managedFields: [
          mygateApply,
          {manager: 'kubectl-set', operation: 'Update', time: '2026-12-02T00:00:00Z', fieldsV1: {'f:spec': {'f:template': {'f:spec': {'f:containers': {'k:{"name":"api"}': {'f:env': {'k:{"name":"FOO"}': {'.': {}, 'f:name': {}, 'f:value': {}}}}}}}}}},
        ],
      }),
      dryRun: deployment(container({env: [{name: 'A', value: '1'}, {name: 'FOO', value: 'bar'}]})),
      expected: {kind: 'added', field: 'spec.template.spec.containers[name=api].env[name=FOO]', live: {name: 'FOO', value: 'bar'}, owners: [expect.objectContaining({manager: 'kubectl-set'})]},
    },
    {
      what: 'a label added by `kubectl label`',
      live: deployment(container(), {
        labels: {app: 'api', team: 'x'},
        managedFields: [mygateApply, {manager: 'kubectl-label', operation: 'Update', time: '2026-12-02T00:00:00Z', fieldsV1: {'f:metadata': {'f:labels': {'f:team': {}}}}}],
      }),
      dryRun: deployment(container(), {labels: {app: 'api', team: 'x'}}),
      expected: {kind: 'added', field: 'metadata.labels.team', live: 'x', owners: [expect.objectContaining({manager: 'kubectl-label'})]},
    },
  ])('$what', ({live, dryRun, expected}) => {
    const differences = compareObject({desired, dryRun, live})
    expect(differences).toHaveLength(1)
    expect(differences[0]).toMatchObject(expected)
  })

  test('a field mygate no longer applies (the dry-run prunes it) is reported as added', () => {
    const live = deployment(container({command: ['old']}), {managedFields: [mygateApply]})
    const differences = compareObject({desired, dryRun: deployment(container()), live})
    expect(differences.map((d) => [d.kind, d.field])).toEqual([['added', 'spec.template.spec.containers[name=api].command']])
  })

  test('status and controller-written status fields never count', () => {
    const live = {...deployment(container(), {managedFields: [mygateApply, {manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', fieldsV1: {'f:status': {'f:replicas': {}}}}]}), status: {replicas: 2}}
    expect(compareObject({desired, dryRun: {...deployment(container()), status: {replicas: 3}}, live})).toEqual([])
  })
})

describe('classify: what is drift', () => {
  const base = {kind: 'Deployment', name: 'api', namespace: 'mygate', hpaTargets: new Set<string>()}
  const diff = (field: string, manager: string | undefined, kind: 'changed' | 'missing' | 'added' = 'changed', operation = 'Update') => ({
    kind,
    field,
    path: [],
    owners: manager ? [{manager, operation}] : [],
  })

  test.each([
    {what: 'an image set by kubectl', d: diff('spec.template.spec.containers[name=api].image', 'kubectl-set'), object: base, drift: true},
    {what: 'replicas an HPA scales', d: diff('spec.replicas', 'kube-controller-manager'), object: {...base, hpaTargets: new Set(['api'])}, drift: false, reason: 'hpa'},
    {what: 'replicas scaled by hand, no HPA', d: diff('spec.replicas', 'kubectl'), object: base, drift: true},
    {what: 'replicas scaled by hand, with an HPA (the HPA owns them)', d: diff('spec.replicas', 'kubectl'), object: {...base, hpaTargets: new Set(['api'])}, drift: false, reason: 'hpa'},
    {what: "a controller's annotation", d: diff('metadata.annotations["deployment.kubernetes.io/revision"]', 'kube-controller-manager', 'added'), object: base, drift: false, reason: 'controller'},
    {what: "a mygate operation's write (blue-green selector)", d: diff('spec.selector["mygate.dev/color"]', 'mygate', 'added'), object: {...base, kind: 'Service'}, drift: false, reason: 'mygate-operation'},
    {what: 'a value mygate applied and someone removed', d: diff('spec.template.spec.containers[name=api].readinessProbe', undefined, 'missing'), object: base, drift: true},
    {
      what: 'a path drift.ignore lists',
      d: diff('spec.template.spec.containers[name=api].env[name=DEBUG]', 'kubectl-set', 'added'),
      object: {...base, ignore: [{kind: 'Deployment', name: 'a*', paths: ['spec.template.spec.containers[name=*].env']}]},
      drift: false,
      reason: 'ignored',
    },
  ])('$what -> drift $drift', ({d, object, drift, reason}) => {
    const verdict = classify(d, object)
    expect(verdict.drift).toBe(drift)
    if (!verdict.drift) expect(verdict.reason).toBe(reason)
  })
})
