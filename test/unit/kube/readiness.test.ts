import {describe, expect, test} from 'vitest'

import {deploymentStatus, jobStatus, podProblem, statefulSetStatus} from '../../../src/kube/readiness.js'
import type {KubeObject} from '../../../src/kube/types.js'

const deployment = (generation: number, spec: {replicas: number}, status: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {name: 'visitors', generation},
  spec,
  status,
})

describe('deploymentStatus', () => {
  test.each([
    ['controller has not seen the change', 2, {observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3}, 'pending'],
    ['new replicas still rolling out', 2, {observedGeneration: 2, replicas: 4, updatedReplicas: 2, availableReplicas: 3}, 'pending'],
    ['old replicas still terminating', 2, {observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3}, 'pending'],
    ['updated but not yet available', 2, {observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2}, 'pending'],
    ['complete', 2, {observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3}, 'succeeded'],
  ])('%s -> %s', (_name, generation, status, verdict) => {
    expect(deploymentStatus(deployment(generation, {replicas: 3}, status)).verdict).toBe(verdict)
  })

  test('a progress deadline is a failure with its message', () => {
    const status = deploymentStatus(
      deployment(1, {replicas: 1}, {
        observedGeneration: 1,
        conditions: [{type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "v-1" has timed out progressing.'}],
      }),
    )
    expect(status).toEqual({verdict: 'failed', message: 'progress deadline exceeded: ReplicaSet "v-1" has timed out progressing.'})
  })

  test('zero replicas is ready at once', () => {
    expect(deploymentStatus(deployment(1, {replicas: 0}, {observedGeneration: 1})).verdict).toBe('succeeded')
  })
})

describe('statefulSetStatus', () => {
  const sts = (status: Record<string, unknown>): KubeObject => ({apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'db', generation: 1}, spec: {replicas: 3}, status})
  test('ready when every ordinal is ready', () => {
    expect(statefulSetStatus(sts({observedGeneration: 1, readyReplicas: 3, updatedReplicas: 3})).verdict).toBe('succeeded')
    expect(statefulSetStatus(sts({observedGeneration: 1, readyReplicas: 2, updatedReplicas: 3})).message).toBe('2/3 ready')
  })
})

describe('jobStatus', () => {
  const job = (conditions: unknown[]): KubeObject => ({apiVersion: 'batch/v1', kind: 'Job', metadata: {name: 'j'}, spec: {completions: 1}, status: {conditions}})
  test.each([
    [[{type: 'Complete', status: 'True'}], 'succeeded'],
    [[{type: 'Failed', status: 'True', message: 'BackoffLimitExceeded'}], 'failed'],
    [[], 'pending'],
  ])('%j -> %s', (conditions, verdict) => {
    expect(jobStatus(job(conditions)).verdict).toBe(verdict)
  })
})

describe('podProblem', () => {
  const pod = (status: Record<string, unknown>): KubeObject => ({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'visitors-abc'}, status})
  test('a crash loop is fatal and names the container and restarts', () => {
    const problem = podProblem(
      pod({phase: 'Running', containerStatuses: [{name: 'app', ready: false, restartCount: 4, state: {waiting: {reason: 'CrashLoopBackOff'}}}]}),
    )
    expect(problem).toEqual({pod: 'visitors-abc', reason: 'CrashLoopBackOff (container app, 4 restarts)', fatal: true})
  })
  test('a ready pod has no problem', () => {
    expect(podProblem(pod({phase: 'Running', conditions: [{type: 'Ready', status: 'True'}]}))).toBeUndefined()
  })
  test('a running pod failing readiness is not fatal', () => {
    expect(podProblem(pod({phase: 'Running', conditions: [{type: 'Ready', status: 'False'}], containerStatuses: [{name: 'app', ready: false}]}))).toEqual({
      pod: 'visitors-abc',
      reason: 'not ready (app)',
      fatal: false,
    })
  })
})
