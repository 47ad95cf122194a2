import {describe, expect, test} from 'vitest'

import {appendToLog, readLog, updateLog} from '../../../src/audit/configmap-log.js'
import {fakeKube} from '../../helpers/fake-kube.js'

const log = {name: 'mygate-test-log', namespace: 'mygate-system', labels: {'mygate.dev/environment': 'demo'}, limit: 3}

describe('a bounded JSON log in a ConfigMap', () => {
  test('appends newest last, keeps the newest `limit`, and labels the map', async () => {
    const kube = fakeKube()
    for (const n of [1, 2, 3, 4]) await appendToLog(kube, log, {n})
    expect(await readLog(kube, log)).toEqual([{n: 2}, {n: 3}, {n: 4}])
    expect(kube.objects.get('ConfigMap/mygate-system/mygate-test-log')?.metadata.labels).toEqual({'app.kubernetes.io/managed-by': 'mygate', 'mygate.dev/environment': 'demo'})
  })

  test('a racing writer between read and write: the change is applied again on top of theirs', async () => {
    const kube = fakeKube()
    await appendToLog(kube, log, {n: 1})
    let raced = false
    kube.beforeReplace = () => {
      if (raced) return
      raced = true
      const current = kube.objects.get('ConfigMap/mygate-system/mygate-test-log')!
      kube.put({...current, data: {'entries.json': JSON.stringify([{n: 1}, {n: 'theirs'}])}})
    }
    await appendToLog(kube, log, {n: 'mine'})
    expect(await readLog(kube, log)).toEqual([{n: 1}, {n: 'theirs'}, {n: 'mine'}])
  })

  test('gives up after `attempts` conflicts with the ConflictError', async () => {
    const kube = fakeKube()
    await appendToLog(kube, log, {n: 1})
    kube.beforeReplace = () => {
      const current = kube.objects.get('ConfigMap/mygate-system/mygate-test-log')!
      kube.put(current)
    }
    await expect(updateLog(kube, log, (entries) => [...entries, {n: 2}], 2)).rejects.toThrow('the object has been modified')
  })

  test('a missing or unreadable map reads as an empty log', async () => {
    const kube = fakeKube()
    expect(await readLog(kube, log)).toEqual([])
    kube.put({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: log.name, namespace: log.namespace}, data: {'entries.json': '{not json'}})
    expect(await readLog(kube, log)).toEqual([])
  })
})
