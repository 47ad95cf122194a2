import {describe, expect, test} from 'vitest'

import {applyJsonPatch} from '../../../../src/local-cluster/api-server/patch/json-patch.js'
import {applyMergePatch} from '../../../../src/local-cluster/api-server/patch/json-merge-patch.js'
import {applyStrategicMergePatch} from '../../../../src/local-cluster/api-server/patch/strategic-merge-patch.js'

const podSpec = () => ({
  spec: {
    containers: [
      {name: 'app', image: 'app:1', ports: [{containerPort: 80}, {containerPort: 443}], env: [{name: 'A', value: '1'}, {name: 'B', value: '2'}], volumeMounts: [{name: 'v', mountPath: '/data'}]},
      {name: 'sidecar', image: 'side:1'},
    ],
    volumes: [{name: 'v', emptyDir: {}}],
    tolerations: [{key: 'a'}],
  },
  metadata: {finalizers: ['a'], labels: {x: '1', y: '2'}},
})

describe('strategic merge patch', () => {
  test('containers merge by name: one image changes, the other container stays', () => {
    const out = applyStrategicMergePatch(podSpec(), {spec: {containers: [{name: 'sidecar', image: 'side:2'}]}}) as ReturnType<typeof podSpec>
    expect(out.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['app=app:1', 'sidecar=side:2'])
    expect(out.spec.containers[0].env).toHaveLength(2)
  })

  test('env by name, ports by containerPort, volumeMounts by mountPath', () => {
    const out = applyStrategicMergePatch(podSpec(), {
      spec: {containers: [{name: 'app', env: [{name: 'B', value: 'two'}, {name: 'C', value: '3'}], ports: [{containerPort: 80, name: 'http'}], volumeMounts: [{mountPath: '/data', readOnly: true}]}]},
    }) as ReturnType<typeof podSpec>
    const app = out.spec.containers[0]
    expect(app.env).toEqual([{name: 'A', value: '1'}, {name: 'B', value: 'two'}, {name: 'C', value: '3'}])
    expect(app.ports).toEqual([{containerPort: 80, name: 'http'}, {containerPort: 443}])
    expect(app.volumeMounts).toEqual([{name: 'v', mountPath: '/data', readOnly: true}])
  })

  test('service ports merge by port', () => {
    const out = applyStrategicMergePatch({spec: {ports: [{port: 80, targetPort: 8080}, {port: 443}]}}, {spec: {ports: [{port: 80, targetPort: 9090}]}}) as {spec: {ports: unknown[]}}
    expect(out.spec.ports).toEqual([{port: 80, targetPort: 9090}, {port: 443}])
  })

  test('lists without a merge key are replaced; null deletes a field', () => {
    const out = applyStrategicMergePatch(podSpec(), {spec: {tolerations: [{key: 'b'}]}, metadata: {labels: {x: null}}}) as ReturnType<typeof podSpec>
    expect(out.spec.tolerations).toEqual([{key: 'b'}])
    expect(out.metadata.labels).toEqual({y: '2'})
  })

  test('$patch: delete removes a list item, $patch: replace replaces a map or list', () => {
    const deleted = applyStrategicMergePatch(podSpec(), {spec: {containers: [{name: 'sidecar', $patch: 'delete'}]}}) as ReturnType<typeof podSpec>
    expect(deleted.spec.containers.map((c) => c.name)).toEqual(['app'])
    const replacedList = applyStrategicMergePatch(podSpec(), {spec: {volumes: [{name: 'w', emptyDir: {}}, {$patch: 'replace'}]}}) as ReturnType<typeof podSpec>
    expect(replacedList.spec.volumes).toEqual([{name: 'w', emptyDir: {}}])
    const replacedMap = applyStrategicMergePatch(podSpec(), {metadata: {labels: {z: '3', $patch: 'replace'}}}) as ReturnType<typeof podSpec>
    expect(replacedMap.metadata.labels).toEqual({z: '3'})
  })

  test('kubectl apply directives: $setElementOrder, $deleteFromPrimitiveList, $retainKeys; finalizers merge as a set', () => {
    const out = applyStrategicMergePatch(podSpec(), {
      spec: {
        $setElementOrder: undefined,
        '$setElementOrder/containers': [{name: 'sidecar'}, {name: 'app'}],
        containers: [{name: 'app', image: 'app:2'}],
      },
      metadata: {finalizers: ['b'], '$deleteFromPrimitiveList/finalizers': ['a']},
    }) as ReturnType<typeof podSpec>
    expect(out.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['sidecar=side:1', 'app=app:2'])
    expect(out.metadata.finalizers).toEqual(['b'])
    const retained = applyStrategicMergePatch({strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: 1}}}, {strategy: {$retainKeys: ['type'], type: 'Recreate'}})
    expect(retained).toEqual({strategy: {type: 'Recreate'}})
  })

  test('conditions merge by type', () => {
    const out = applyStrategicMergePatch({status: {conditions: [{type: 'Ready', status: 'False'}, {type: 'Other', status: 'True'}]}}, {status: {conditions: [{type: 'Ready', status: 'True'}]}})
    expect(out).toEqual({status: {conditions: [{type: 'Ready', status: 'True'}, {type: 'Other', status: 'True'}]}})
  })
})

describe('JSON merge patch and JSON patch', () => {
  test('merge patch replaces lists and deletes with null', () => {
    expect(applyMergePatch({a: {b: 1, c: [1, 2]}, d: 1}, {a: {c: [3]}, d: null})).toEqual({a: {b: 1, c: [3]}})
  })

  test('JSON patch operations, and a failed test/missing path is 422', () => {
    const doc = {spec: {replicas: 1, list: ['a', 'b']}}
    expect(
      applyJsonPatch(doc, [
        {op: 'replace', path: '/spec/replicas', value: 3},
        {op: 'add', path: '/spec/list/-', value: 'c'},
        {op: 'remove', path: '/spec/list/0'},
        {op: 'copy', from: '/spec/replicas', path: '/spec/copied'},
        {op: 'test', path: '/spec/copied', value: 3},
        {op: 'add', path: '/metadata', value: {labels: {'a/b': 'x'}}},
        {op: 'move', from: '/metadata/labels/a~1b', path: '/metadata/labels/moved'},
      ]),
    ).toEqual({spec: {replicas: 3, list: ['b', 'c'], copied: 3}, metadata: {labels: {moved: 'x'}}})
    expect(doc.spec.replicas).toBe(1)
    expect(() => applyJsonPatch(doc, [{op: 'replace', path: '/spec/missing/x', value: 1}])).toThrow(expect.objectContaining({status: expect.objectContaining({code: 422})}))
    expect(() => applyJsonPatch(doc, [{op: 'test', path: '/spec/replicas', value: 2}])).toThrow(expect.objectContaining({status: expect.objectContaining({code: 422})}))
    expect(() => applyJsonPatch(doc, {op: 'add'})).toThrow(expect.objectContaining({status: expect.objectContaining({code: 400})}))
  })
})
