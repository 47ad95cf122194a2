export * from './types.js'
export {faultsFor, faultSpecs, podIdentity, NO_FAULTS, type FaultEffects} from './faults-for.js'
export {injectFault, clearFaults, listFaults, faultObjectName, type FaultFilter} from './fault-store.js'
