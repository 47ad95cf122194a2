import type {RolloutStrategy} from '../catalog/types.js'
import {blueGreenDriver} from './blue-green.js'
import {canaryDriver} from './canary.js'
import type {DriverContext, StrategyDriver} from './strategy-driver.js'
import {rollingDriver} from './rolling.js'

export function driverFor(strategy: RolloutStrategy, context: DriverContext, service: string): StrategyDriver {
  switch (strategy) {
    case 'canary':
      return canaryDriver(context, service)
    case 'blue-green':
      return blueGreenDriver(context, service)
    case 'rolling':
      return rollingDriver(context, service)
  }
}
