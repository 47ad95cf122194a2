/**
 * Every duration of the simulated MongoDB data plane, stated once. The MongoDB ones follow the
 * server's published defaults; the others are simulation choices, marked as such.
 *
 * MongoDB defaults (replica set configuration reference,
 * https://www.mongodb.com/docs/manual/reference/replica-configuration/, and the Replication
 * Architecture Guide, src/mongo/db/repl/README.md in mongodb/mongo):
 * - heartbeats every `settings.heartbeatIntervalMillis` = 2 s;
 * - an election after `settings.electionTimeoutMillis` = 10 s without a primary, plus a random
 *   offset of up to `replElectionTimeoutOffsetLimitFraction` = 0.15 of it;
 * - a priority takeover waits `(priority rank + 1) * electionTimeoutMillis` and needs the
 *   candidate within `priorityTakeoverFreshnessWindowSeconds` = 2 s of the primary;
 * - `rs.stepDown()` defaults: stepDownSecs 60, secondaryCatchUpPeriodSecs 10.
 *
 * A config's own `settings.electionTimeoutMillis` / `heartbeatIntervalMillis` are honoured (that is
 * how tests make elections fast, exactly as on a real set). `MYGATE_LOCAL_DB_TIME_SCALE` (0 < s <= 1)
 * multiplies every MongoDB duration on top, for demos and CLI tests whose configs use the defaults.
 */
export const MONGODB_DEFAULTS = {
  heartbeatIntervalMillis: 2000,
  electionTimeoutMillis: 10_000,
  electionTimeoutOffsetFraction: 0.15,
  priorityTakeoverFreshnessMs: 2000,
  catchUpTakeoverDelayMillis: 30_000,
  stepDownSecs: 60,
  secondaryCatchUpPeriodSecs: 10,
  /** Server selection time-out of the drivers (and mongosh) when no suitable member answers. */
  serverSelectionTimeoutMS: 30_000,
  /**
   * An idle primary writes a no-op this often (periodicNoopIntervalSecs, writePeriodicNoops), so
   * secondaries' optimes, and the lag computed from them, move without client writes.
   */
  periodicNoopIntervalMs: 10_000,
} as const

/** Simulation choices (not MongoDB's): how the local data plane approximates the rest. */
export const SIMULATION = {
  /** How often the data plane advances (writes, replication, elections), in ms of real time. */
  tickMs: 200,
  /** Replication lag of a healthy member: entries reach it this long after the primary wrote them. */
  defaultReplicationLagMs: 250,
  /** How long an initial sync (STARTUP2) takes before the new member is SECONDARY. */
  initialSyncMs: 1500,
  /** How long a member stays in ROLLBACK before it is SECONDARY again. */
  rollbackMs: 500,
  /** Writes per request the services send to their database (the rest are reads). */
  writesPerRequest: 0.05,
  /** The simulated oplog keeps at most this many entries per replica set (a capped collection). */
  oplogMaxEntries: 1_000_000,
  /**
   * How far back a branch can be rolled back exactly: entries older than this (per set) drop the
   * previous document they would restore. At the default write rate that is many hours; MongoDB's
   * own bound is rollbackTimeLimitSecs (24 h), past which a member needs a resync.
   */
  undoWindowEntries: 100_000,
  /** A database keeps at most this many documents; beyond it the workload deletes its oldest ones. */
  maxDocumentsPerDatabase: 250_000,
  /** How often the write rate is re-read from the traffic model. */
  trafficRefreshMs: 2000,
} as const

export interface DataPlaneTiming {
  /** Multiplies every MongoDB duration (config settings and defaults); 1 = real MongoDB timing. */
  timeScale: number
  tickMs: number
  defaultReplicationLagMs: number
  initialSyncMs: number
  rollbackMs: number
}

export function resolveDataPlaneTiming(overrides: Partial<DataPlaneTiming> = {}): DataPlaneTiming {
  const scale = overrides.timeScale
  return {
    timeScale: typeof scale === 'number' && scale > 0 && scale <= 1 ? scale : 1,
    tickMs: overrides.tickMs ?? SIMULATION.tickMs,
    defaultReplicationLagMs: overrides.defaultReplicationLagMs ?? SIMULATION.defaultReplicationLagMs,
    initialSyncMs: overrides.initialSyncMs ?? SIMULATION.initialSyncMs,
    rollbackMs: overrides.rollbackMs ?? SIMULATION.rollbackMs,
  }
}

/** The timing from MYGATE_LOCAL_DB_TIME_SCALE (unset or invalid: real MongoDB timing). */
export function dataPlaneTimingFromEnv(env: NodeJS.ProcessEnv): Partial<DataPlaneTiming> {
  const raw = env.MYGATE_LOCAL_DB_TIME_SCALE
  const scale = raw === undefined || raw === '' ? undefined : Number(raw)
  return scale !== undefined && Number.isFinite(scale) ? {timeScale: scale} : {}
}
