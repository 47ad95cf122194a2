import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, test} from 'vitest'

import {logContainer, parsePodLogOptions, renderLog} from '../../../../src/local-cluster/api-server/pod-log.js'
import {ContainerLogs} from '../../../../src/local-cluster/kubelet/container-logs.js'
import type {KubeObject} from '../../../../src/kube/types.js'

const at = Date.UTC(2026, 11, 1, 10, 0, 0)
const lines = [
  {at, stream: 'stdout' as const, text: 'one'},
  {at: at + 1000, stream: 'stdout' as const, text: 'two'},
  {at: at + 2000, stream: 'stderr' as const, text: 'three'},
]

describe('GET pods/NAME/log options (ValidatePodLogOptions)', () => {
  test.each([
    ['tailLines=2', 'two\nthree\n'],
    ['tailLines=0', ''],
    ['limitBytes=6', 'one\ntw'],
    ['timestamps=true&tailLines=1', '2026-12-01T10:00:02.000000000Z three\n'],
    ['sinceTime=2026-12-01T10:00:01Z', 'two\nthree\n'],
    ['', 'one\ntwo\nthree\n'],
  ])('%s', (query, expected) => {
    expect(renderLog(lines, parsePodLogOptions('p', new URLSearchParams(query), at + 5000))).toBe(expected)
  })

  test.each([
    ['tailLines=-1', 422, 'PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0'],
    ['limitBytes=0', 422, 'PodLogOptions "p" is invalid: limitBytes: Invalid value: 0: must be greater than 0'],
    ['sinceSeconds=5&sinceTime=2026-12-01T10:00:00Z', 400, 'at most one of `sinceTime` or `sinceSeconds` may be specified'],
    ['tailLines=ten', 400, 'tailLines: invalid value "ten": must be an integer'],
  ])('%s is refused', (query, code, message) => {
    expect(() => parsePodLogOptions('p', new URLSearchParams(query), at)).toThrow(expect.objectContaining({message, status: expect.objectContaining({code})}))
  })

  const pod = (containers: string[], inits: string[] = []): KubeObject => ({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p'}, spec: {containers: containers.map((name) => ({name})), initContainers: inits.map((name) => ({name}))}})
  test.each([
    [pod(['a']), undefined, 'a'],
    [pod(['a', 'b']), 'b', 'b'],
    [pod(['a'], ['init']), 'init', 'init'],
  ])('container of %j (asked %s) is %s', (p, asked, name) => {
    expect(logContainer(p, asked).name).toBe(name)
  })

  test('two containers and none named: the API server asks which', () => {
    expect(() => logContainer(pod(['a', 'b'], ['keyfile']), undefined)).toThrow('a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [keyfile]')
  })
})

describe('container log files (CRI format, kept across restarts)', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
  })
  const ref = {namespace: 'ns', name: 'p', uid: 'uid-1'}

  test('lines written by one instance are read by the next', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-logs-'))
    dirs.push(dir)
    new ContainerLogs(dir).append(ref, 'op', [{stream: 'stdout', text: 'hello world'}, {stream: 'stderr', text: 'tab\there'}], at, {durable: true})
    expect(new ContainerLogs(dir).read(ref, 'op')).toEqual([
      {at, stream: 'stdout', text: 'hello world'},
      {at, stream: 'stderr', text: 'tab\there'},
    ])
  })

  test('follow sees new lines; forget and prune remove the files of pods that are gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-logs-'))
    dirs.push(dir)
    const logs = new ContainerLogs(dir)
    const seen: string[] = []
    const stop = logs.follow(ref, 'mongod', (line) => seen.push(line.text))
    logs.append(ref, 'mongod', [{stream: 'stdout', text: 'a'}], at)
    stop()
    logs.append(ref, 'mongod', [{stream: 'stdout', text: 'b'}], at)
    expect(seen).toEqual(['a'])
    logs.append({...ref, name: 'q', uid: 'uid-2'}, 'mongod', [{stream: 'stdout', text: 'c'}], at)
    logs.prune((uid) => uid === 'uid-2')
    expect(readdirSync(dir)).toEqual(['ns_q_uid-2'])
    logs.forget({...ref, name: 'q', uid: 'uid-2'})
    expect(readdirSync(dir)).toEqual([])
  })

  test('a log past its size limit keeps its newer half, as the kubelet rotates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mygate-logs-'))
    dirs.push(dir)
    const logs = new ContainerLogs(dir)
    const line = 'x'.repeat(1000)
    for (let i = 0; i < 1500; i++) logs.append(ref, 'mongod', [{stream: 'stdout', text: `${i} ${line}`}], at)
    const kept = logs.read(ref, 'mongod')
    expect(kept.length).toBeLessThan(1100)
    expect(kept.at(-1)?.text.startsWith('1499 ')).toBe(true)
  })
})
