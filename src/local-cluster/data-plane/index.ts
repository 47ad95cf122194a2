/**
 * The local MongoDB data plane (a simulation inside the local control plane; see
 * templates/mongodb/ops/README.md for the Job contract it runs and timing.ts for its timings).
 * The product side may import the contract constants from here to render Jobs and probes.
 */
export {DataPlane, type ClusterAttachment, type DataPlaneOptions, type DataPlaneSummary} from './data-plane.js'
export {CONTRACT, PROBES, shippedScript} from './jobs/contract.js'
export type {OpName} from './jobs/ops.js'
export {MONGODB_DEFAULTS, SIMULATION, dataPlaneTimingFromEnv, type DataPlaneTiming} from './timing.js'
export {nextReconfigStep} from './reconfig-plan.js'
export {MONGOSH_OPTIONS, MONGODUMP_OPTIONS, MONGORESTORE_OPTIONS, parseMongoshArgs, parseToolArgs} from './programs/options.js'
