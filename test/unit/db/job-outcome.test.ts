import {describe, expect, test} from 'vitest'

import {lastJsonLine, logTail, readJobPod} from '../../../src/db/job-outcome.js'
import {operationJobName, renderOperationJob} from '../../../src/db/run-operation.js'
import type {KubeObject} from '../../../src/kube/types.js'

const pod = (status: Record<string, unknown>): KubeObject => ({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p'}, status})
const container = (state: Record<string, unknown>) => ({containerStatuses: [{name: 'op', state}]})

describe('readJobPod', () => {
  test.each([
    ['no status yet', pod({}), {kind: 'pending'}],
    ['ContainerCreating', pod(container({waiting: {reason: 'ContainerCreating'}})), {kind: 'pending'}],
    ['missing Secret', pod(container({waiting: {reason: 'CreateContainerConfigError', message: 'secret "x" not found'}})), {kind: 'cannot-start', reason: 'CreateContainerConfigError', message: 'secret "x" not found'}],
    ['bad image', pod(container({waiting: {reason: 'ImagePullBackOff'}})), {kind: 'cannot-start', reason: 'ImagePullBackOff', message: ''}],
    ['exit 0', pod(container({terminated: {exitCode: 0, message: 'status: healthy (primary h)\n'}})), {kind: 'terminated', exitCode: 0, verdict: 'status: healthy (primary h)'}],
    ['exit 1 without a message', pod(container({terminated: {exitCode: 1}})), {kind: 'terminated', exitCode: 1, verdict: ''}],
    ['pod failed before running', pod({phase: 'Failed', reason: 'DeadlineExceeded'}), {kind: 'terminated', exitCode: 1, verdict: 'DeadlineExceeded'}],
  ])('%s', (_name, object, expected) => expect(readJobPod(object)).toEqual(expected))
})

describe('lastJsonLine and logTail', () => {
  test.each([
    ['one line', '{"op":"status","ok":true}\n', {op: 'status', ok: true}],
    ['progress lines first, blank line last', 'round 1\nround 2\n{"op":"reconfigure"}\n\n', {op: 'reconfigure'}],
    ['no JSON (connection failure)', 'MongoServerSelectionError: getaddrinfo ENOTFOUND x\n', undefined],
    ['torn JSON', '{"op":', undefined],
    ['an array is not a result', '[1]', undefined],
    ['empty', '', undefined],
  ])('%s', (_name, log, expected) => expect(lastJsonLine(log)).toEqual(expected))

  test('logTail keeps the last lines, joined', () => expect(logTail('a\n\nb\nc\nd\n', 2)).toBe('c | d'))
})

describe('the rendered Job', () => {
  test('names are unique per run and never read as a StatefulSet pod', () => {
    expect(operationJobName('billing-db', 'status', 'abc123')).toBe('dbop-billing-db-status-abc123')
    expect(operationJobName('billing-db', 'status')).not.toBe(operationJobName('billing-db', 'status'))
    expect(operationJobName('notifications-db', 'force-reconfigure').length).toBeLessThanOrEqual(63)
  })

  test('the contract shape: mongosh with the script, params as JSON, credentials from the Secret only', async () => {
    const job = await renderOperationJob('dbop-billing-db-step-down-x', {
      database: 'billing-db',
      op: 'step-down',
      params: {expectedPrimary: 'h:27017'},
      connection: 'mongodb://h:27017/?replicaSet=billing-db',
    })
    const spec = job.spec as {backoffLimit: number; template: {spec: {containers: Array<{command: string[]; args: string[]; env: Array<{name: string; value?: string; valueFrom?: unknown}>; image: string}>; volumes: unknown[]}}}
    const c = spec.template.spec.containers[0]
    expect(job.metadata).toMatchObject({name: 'dbop-billing-db-step-down-x', namespace: 'mygate-data', labels: {'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': 'billing-db', 'mygate.dev/op': 'step-down'}})
    expect(spec.backoffLimit).toBe(0)
    expect(c.image).toBe('mongo:7.0')
    expect([...c.command, ...c.args]).toEqual(['mongosh', '--quiet', '--norc', 'mongodb://h:27017/?replicaSet=billing-db', '--file', '/ops/step-down.js'])
    expect(c.env).toEqual([
      {name: 'OP_PARAMS', value: '{"expectedPrimary":"h:27017"}'},
      {name: 'MONGO_USERNAME', valueFrom: {secretKeyRef: {name: 'billing-db-credentials', key: 'root-username'}}},
      {name: 'MONGO_PASSWORD', valueFrom: {secretKeyRef: {name: 'billing-db-credentials', key: 'root-password'}}},
    ])
    expect(spec.template.spec.volumes).toEqual([{name: 'ops', configMap: {name: 'mygate-db-ops'}}])
  })
})
