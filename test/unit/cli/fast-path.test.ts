import {describe, expect, test} from 'vitest'

import {matchRolloutStatus} from '../../../src/cli/fast-path.js'

describe('matchRolloutStatus', () => {
  test.each([
    [['rollout', 'status', 'visitors', '--env', 'demo'], {service: 'visitors', env: 'demo', json: false}],
    [['rollout', 'status', '--env', 'demo', 'visitors', '--json'], {service: 'visitors', env: 'demo', json: true}],
    [['rollout', 'status', 'visitors', '--env=demo'], {service: 'visitors', env: 'demo', json: false}],
  ])('%j is the plain form', (argv, expected) => {
    expect(matchRolloutStatus(argv)).toEqual(expected)
  })

  test.each([
    [['rollout', 'status', 'visitors', '--env', 'demo', '--watch']],
    [['rollout', 'status', 'visitors', '--env', 'demo', '--verbose']],
    [['rollout', 'status', 'visitors']],
    [['rollout', 'status', '--env', 'demo']],
    [['rollout', 'status', 'visitors', 'users', '--env', 'demo']],
    [['rollout', 'status', 'visitors', '--env']],
    [['rollout', 'status', 'visitors', '--env', '--json']],
    [['rollout', 'status', 'visitors', '--env', 'a', '--env', 'b']],
    [['rollout', 'status', 'visitors', '--env', 'demo', '--help']],
    [['rollout', 'history', 'visitors', '--env', 'demo']],
    [['deploy', 'visitors', '--env', 'demo']],
  ])('%j goes through oclif', (argv) => {
    expect(matchRolloutStatus(argv)).toBeUndefined()
  })
})
