import {describe, expect, test} from 'vitest'

import {scaleForDisasterRecovery} from '../../../src/env/dr-scale.js'
import type {KubeObject} from '../../../src/kube/types.js'

const obj = (kind: string, name: string, spec: Record<string, unknown> = {}): KubeObject => ({apiVersion: 'v1', kind, metadata: {name}, spec})

const rendered = [
  obj('Deployment', 'visitors', {replicas: 3}),
  obj('HorizontalPodAutoscaler', 'visitors', {minReplicas: 3, maxReplicas: 10}),
  obj('PodDisruptionBudget', 'visitors', {minAvailable: 2}),
  obj('Service', 'visitors'),
  obj('StatefulSet', 'visitors-db', {replicas: 3}),
]

describe('scaleForDisasterRecovery', () => {
  test('warm standby keeps every service at one app replica and full data replicas', () => {
    const scaled = scaleForDisasterRecovery(rendered, 'warm-standby')
    const by = (kind: string) => scaled.find((o) => o.kind === kind)?.spec as Record<string, unknown> | undefined
    expect(by('Deployment')?.replicas).toBe(1)
    expect(by('HorizontalPodAutoscaler')?.minReplicas).toBe(1)
    expect(by('HorizontalPodAutoscaler')?.maxReplicas).toBe(10)
    expect(by('PodDisruptionBudget')).toBeUndefined()
    expect(by('StatefulSet')?.replicas).toBe(3)
  })

  test('pilot light runs only the data services', () => {
    const kinds = scaleForDisasterRecovery(rendered, 'pilot-light').map((o) => o.kind)
    expect(kinds).toEqual(['Service', 'StatefulSet'])
  })

  test('does not modify its input', () => {
    scaleForDisasterRecovery(rendered, 'warm-standby')
    expect((rendered[0].spec as {replicas: number}).replicas).toBe(3)
  })
})
