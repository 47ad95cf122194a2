import {describe, expect, test} from 'vitest'

import type {StatusResult} from '../../../src/failover/execute.js'
import type {FailoverRun, StepRecord} from '../../../src/failover/run-state.js'
import {statusChanges} from '../../../src/failover/watch-status.js'

const step = (id: string, status: StepRecord['status'], detail?: string): StepRecord => ({id, kind: 'scale-target', status, ...(detail ? {detail} : {})})
const status = (steps: StepRecord[], extra: Partial<FailoverRun> = {}, id = 'fo-1'): StatusResult => ({
  environment: 'demo',
  activeRegion: 'a',
  unreachable: [],
  run: {
    schemaVersion: 1,
    id,
    plan: {environment: 'demo', mode: 'planned', from: 'a', to: 'b', steps: [], checks: [], overrides: []},
    checks: [],
    who: 'me',
    startedAt: '2026-12-03T09:00:00.000Z',
    outcome: 'running',
    steps,
    ...extra,
  },
})

describe('statusChanges', () => {
  test.each([
    ['first look: the run and its started steps', undefined, status([step('scale-target', 'running'), step('switch-traffic', 'pending')]), ['run fo-1: planned a -> b, running', '  running  scale-target']],
    ['a step finished', status([step('scale-target', 'running')]), status([step('scale-target', 'done', '9 apps ready')]), ['  done     scale-target: 9 apps ready']],
    ['nothing changed', status([step('scale-target', 'running')]), status([step('scale-target', 'running')]), []],
    ['the run ended', status([step('x', 'running')]), status([step('x', 'done')], {outcome: 'succeeded'}), ['  done     x', 'run fo-1: succeeded']],
    ['it failed, with the error', status([step('x', 'running')]), status([step('x', 'failed', 'boom')], {outcome: 'failed', error: 'boom'}), ['  failed   x: boom', 'run fo-1: failed (boom)']],
    ['a fence applied', status([], {outcome: 'succeeded', pendingFence: {region: 'a', since: 't'}}), status([], {outcome: 'succeeded'}), ['  pending fence applied']],
    ['a new run replaces the old one', status([step('x', 'done')]), status([step('x', 'running')], {}, 'fo-2'), ['run fo-2: planned a -> b, running', '  running  x']],
    ['no run at all, first look', undefined, {environment: 'demo', activeRegion: 'a', unreachable: []}, ['environment demo: active region a; no failover recorded']],
  ])('%s', (_name, prev, next, lines) => {
    expect(statusChanges(prev, next)).toEqual(lines)
  })
})
