import {describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../../src/kube/types.js'
import {ApiError} from '../../../../src/local-cluster/store/api-error.js'
import {recordUpdate, serverSideApply, type ManagedFieldsEntry} from '../../../../src/local-cluster/api-server/ssa/server-side-apply.js'

function config(replicas: number | undefined, image: string, labels: Record<string, string> = {app: 'web'}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name: 'web', namespace: 'default', labels},
    spec: {
      ...(replicas === undefined ? {} : {replicas}),
      selector: {matchLabels: {app: 'web'}},
      template: {metadata: {labels: {app: 'web'}}, spec: {containers: [{name: 'c', image}]}},
    },
  }
}

const managers = (object: KubeObject): ManagedFieldsEntry[] => object.metadata.managedFields as ManagedFieldsEntry[]

describe('server-side apply', () => {
  test('create-on-apply records the manager and its fields in FieldsV1', () => {
    const out = serverSideApply({live: undefined, config: config(2, 'img:1'), manager: 'ci', force: false, skipStatus: true})
    expect((out.spec as {replicas: number}).replicas).toBe(2)
    const [entry] = managers(out)
    expect(entry).toMatchObject({manager: 'ci', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1'})
    expect(entry.fieldsV1).toMatchObject({
      'f:metadata': {'f:labels': {'f:app': {}}},
      'f:spec': {'f:replicas': {}, 'f:template': {'f:spec': {'f:containers': {'k:{"name":"c"}': {'.': {}, 'f:image': {}, 'f:name': {}}}}}},
    })
  })

  test('a different manager changing an owned field conflicts (409 with causes); force takes it over', () => {
    const live = serverSideApply({live: undefined, config: config(2, 'img:1'), manager: 'ci', force: false, skipStatus: true})
    let error: ApiError | undefined
    try {
      serverSideApply({live, config: config(5, 'img:1'), manager: 'ops', force: false, skipStatus: true})
    } catch (e) {
      error = e as ApiError
    }
    expect(error).toBeInstanceOf(ApiError)
    expect(error!.status).toMatchObject({code: 409, reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "ci" using apps/v1: .spec.replicas'})
    expect(error!.status.details?.causes).toEqual([{reason: 'FieldManagerConflict', message: 'conflict with "ci" using apps/v1', field: '.spec.replicas'}])

    const forced = serverSideApply({live, config: config(5, 'img:1'), manager: 'ops', force: true, skipStatus: true})
    expect((forced.spec as {replicas: number}).replicas).toBe(5)
    const ci = managers(forced).find((m) => m.manager === 'ci')!
    expect(JSON.stringify(ci.fieldsV1)).not.toContain('f:replicas')
    expect(managers(forced).find((m) => m.manager === 'ops')!.fieldsV1).toMatchObject({'f:spec': {'f:replicas': {}}})
  })

  test('applying the same value as another manager is shared ownership, not a conflict', () => {
    const live = serverSideApply({live: undefined, config: config(2, 'img:1'), manager: 'ci', force: false, skipStatus: true})
    const out = serverSideApply({live, config: config(2, 'img:1'), manager: 'ops', force: false, skipStatus: true})
    expect(managers(out).map((m) => m.manager)).toEqual(['ci', 'ops'])
  })

  test('a field the manager stops applying is removed unless another manager owns it', () => {
    const live = serverSideApply({live: undefined, config: config(2, 'img:1', {app: 'web', tier: 'front'}), manager: 'ci', force: false, skipStatus: true})
    const out = serverSideApply({live, config: config(undefined, 'img:2'), manager: 'ci', force: false, skipStatus: true})
    expect(out.metadata.labels).toEqual({app: 'web'})
    expect((out.spec as {replicas?: number}).replicas).toBeUndefined()
    expect((out.spec as {template: {spec: {containers: Array<{image: string}>}}}).template.spec.containers[0].image).toBe('img:2')
  })

  test('an Update by another manager takes ownership of what it changed (kubectl scale, then apply conflicts)', () => {
    const live = serverSideApply({live: undefined, config: config(2, 'img:1'), manager: 'ci', force: false, skipStatus: true})
    const scaled = structuredClone(live) as KubeObject
    ;(scaled.spec as {replicas: number}).replicas = 7
    recordUpdate(live, scaled, 'kubectl-scale', {skipStatus: true})
    expect(managers(scaled).find((m) => m.manager === 'kubectl-scale')).toMatchObject({operation: 'Update', fieldsV1: {'f:spec': {'f:replicas': {}}}})
    expect(JSON.stringify(managers(scaled).find((m) => m.manager === 'ci')!.fieldsV1)).not.toContain('f:replicas')
    expect(() => serverSideApply({live: scaled, config: config(3, 'img:1'), manager: 'ci', force: false, skipStatus: true})).toThrow(/conflict with "kubectl-scale"/)
  })
})
