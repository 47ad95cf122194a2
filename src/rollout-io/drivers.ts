import type {RolloutStrategy} from '../catalog/types.js'
import {blueGreenDriver} from './blue-green-driver.js'
import {canaryDriver} from './canary-driver.js'
import type {DriverContext, StrategyDriver} from './driver.js'
import {rollingDriver} from './rolling-driver.js'

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
