import {describe, expect, test} from 'vitest'
import type {KubeObject} from '../../../../src/kube/types.js'
import {kubeletStep, type KubeletStepInput, type PodStatus} from '../../../../src/local-cluster/kubelet/kubelet-step.js'

const T0 = Date.parse('2026-11-23T12:00:00Z')
const timing = {podStartupMs: 200, readinessDelayMs: 100, jobRunMs: 500, crashLoopRestartMs: 1000}

function pod(status?: PodStatus): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name: 'web-abc', namespace: 'ns', uid: 'pod-uid'},
    spec: {nodeName: 'n1', containers: [{name: 'web', image: 'web:1'}]},
    ...(status ? {status} : {}),
  }
}

const step = (p: KubeObject, at: number, extra: Partial<KubeletStepInput> = {}) =>
  kubeletStep({pod: p, hostIP: '172.18.0.2', podIP: '10.244.0.2', runsToCompletion: false, faults: {crash: false, notReady: false}, now: at, timing, ...extra})

/** Runs the kubelet at each instant in turn, feeding each status into the next step. */
function run(times: number[], extra: Partial<KubeletStepInput> = {}): PodStatus[] {
  let current = pod()
  return times.map((at) => {
    const {status} = step(current, at, extra)
    current = pod(status)
    return status
  })
}

const cond = (status: PodStatus, type: string) => status.conditions?.find((c) => c.type === type)

describe('kubeletStep', () => {
  test.each([
    // ms after scheduling, phase, container state, started, ready
    [0, 'Pending', 'waiting', false, 'False'],
    [199, 'Pending', 'waiting', false, 'False'],
    [200, 'Running', 'running', true, 'False'],
    [299, 'Running', 'running', true, 'False'],
    [300, 'Running', 'running', true, 'True'],
    [10_000, 'Running', 'running', true, 'True'],
  ])('healthy pod at +%ims: %s, %s, started %s, Ready %s', (offset, phase, state, started, ready) => {
    const statuses = run([T0, T0 + offset])
    const status = statuses[1]
    expect(status.phase).toBe(phase)
    expect(Object.keys(status.containerStatuses?.[0].state ?? {})).toEqual([state])
    expect(status.containerStatuses?.[0].started).toBe(started)
    expect(cond(status, 'Ready')?.status).toBe(ready)
    expect(cond(status, 'PodScheduled')?.status).toBe('True')
    expect(status.podIP).toBe('10.244.0.2')
    expect(status.startTime).toBe(new Date(T0).toISOString())
  })

  test('requeues exactly when the next transition is due', () => {
    expect(step(pod(), T0).requeueAfterMs).toBe(200)
    const running = pod(run([T0, T0 + 200])[1])
    expect(step(running, T0 + 250).requeueAfterMs).toBe(50)
    expect(step(pod(run([T0, T0 + 400])[1]), T0 + 400).requeueAfterMs).toBeUndefined()
  })

  test('Ready lastTransitionTime is when readiness passed in simulated time, not when observed', () => {
    const status = run([T0, T0 + 5000])[1]
    expect(cond(status, 'Ready')?.lastTransitionTime).toBe(new Date(T0 + 300).toISOString())
  })

  test('a crash fault: CrashLoopBackOff, exit code 1 in lastState, restartCount climbing, never Ready, phase Running', () => {
    const crash = {faults: {crash: true, notReady: false}}
    const statuses = run([T0, T0 + 200, T0 + 1200, T0 + 3300], crash)
    for (const status of statuses.slice(1)) {
      expect(status.phase).toBe('Running')
      expect(status.containerStatuses?.[0].state.waiting?.reason).toBe('CrashLoopBackOff')
      expect(status.containerStatuses?.[0].lastState.terminated?.exitCode).toBe(1)
      expect(cond(status, 'Ready')?.status).toBe('False')
    }
    expect(statuses.slice(1).map((s) => s.containerStatuses?.[0].restartCount)).toEqual([0, 1, 3])
  })

  test('clearing a crash fault restarts the container, which then turns Ready', () => {
    const crashing = run([T0, T0 + 200, T0 + 1200], {faults: {crash: true, notReady: false}})[2]
    const restarted = step(pod(crashing), T0 + 1500).status
    expect(restarted.containerStatuses?.[0].state.running?.startedAt).toBe(new Date(T0 + 1500).toISOString())
    expect(restarted.containerStatuses?.[0].restartCount).toBe(2)
    expect(cond(restarted, 'Ready')?.status).toBe('False')
    expect(cond(step(pod(restarted), T0 + 1600).status, 'Ready')?.status).toBe('True')
  })

  test('a not-ready fault: Running, started, Ready False with ContainersNotReady', () => {
    const status = run([T0, T0 + 5000], {faults: {crash: false, notReady: true}})[1]
    expect(status.phase).toBe('Running')
    expect(status.containerStatuses?.[0]).toMatchObject({started: true, ready: false})
    expect(cond(status, 'Ready')).toMatchObject({status: 'False', reason: 'ContainersNotReady'})
  })

  test.each([
    [false, 'Succeeded', 0, 'Completed'],
    [true, 'Failed', 1, 'Error'],
  ])('a Job pod (crash %s) ends %s with exit code %i after jobRunMs', (crash, phase, exitCode, reason) => {
    const statuses = run([T0, T0 + 699, T0 + 700], {runsToCompletion: true, faults: {crash, notReady: false}})
    expect(statuses[1].phase).toBe('Running')
    expect(statuses[2].phase).toBe(phase)
    expect(statuses[2].containerStatuses?.[0].state.terminated).toMatchObject({exitCode, reason})
    expect(cond(statuses[2], 'Ready')).toMatchObject({status: 'False', reason: 'PodCompleted'})
    // Terminal pods do not change any more.
    expect(step(pod(statuses[2]), T0 + 99_999).status).toEqual(statuses[2])
  })

  test('zero delays: Running and Ready in one step', () => {
    const {status, requeueAfterMs} = kubeletStep({pod: pod(), hostIP: 'h', podIP: '10.244.0.9', runsToCompletion: false, faults: {crash: false, notReady: false}, now: T0, timing: {...timing, podStartupMs: 0, readinessDelayMs: 0}})
    expect(status.phase).toBe('Running')
    expect(cond(status, 'Ready')?.status).toBe('True')
    expect(requeueAfterMs).toBeUndefined()
  })
})
