import {describe, expect, test} from 'vitest'

import {UsageError} from '../../../src/errors.js'
import {checkDistinctRegions} from '../../../src/providers/naming.js'
import {createLocalProvider} from '../../../src/providers/local/local-provider.js'
import {checkAwsRegions} from '../../../src/providers/aws/validate.js'
import {testEnvironment} from '../../helpers/builders.js'

describe('checkDistinctRegions: the one "secondary equals primary" rule', () => {
  test.each([
    [{primary: 'r1'}, undefined],
    [{primary: 'r1', secondary: 'r2'}, undefined],
    [{primary: 'r1', secondary: 'r1'}, '--secondary-region "r1" is the same as the primary region'],
  ])('%j -> %s', (regions, message) => {
    if (message === undefined) expect(() => checkDistinctRegions(regions)).not.toThrow()
    else {
      expect(() => checkDistinctRegions(regions)).toThrow(UsageError)
      expect(() => checkDistinctRegions(regions)).toThrow(message)
    }
  })

  test('local and aws refuse the same pair with the same line and hint', async () => {
    const local = createLocalProvider({home: '/nonexistent'})
    const same = {primary: 'eu-west-1', secondary: 'eu-west-1'}
    const fromLocal = await local.validate(testEnvironment({provider: 'local', regions: same})).catch((error: unknown) => error)
    const fromAws = (() => {
      try {
        checkAwsRegions(testEnvironment({provider: 'aws', regions: same}))
      } catch (error) {
        return error
      }
    })()
    expect(fromLocal).toBeInstanceOf(UsageError)
    expect(fromAws).toBeInstanceOf(UsageError)
    expect([(fromLocal as UsageError).message, (fromLocal as UsageError).hint]).toEqual([(fromAws as UsageError).message, (fromAws as UsageError).hint])
  })
})
