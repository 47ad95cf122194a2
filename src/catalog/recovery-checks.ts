import type {Problem} from '../config/yaml-source.js'
import {parseDuration} from '../duration.js'
import type {CatalogProblem, LoadedDescriptor} from './catalog-checks.js'

/**
 * An app's recovery point objective is its database's: the data a failover can lose is the
 * database's replication lag, and failover readiness measures that lag against the `-db`
 * descriptor's `criticality.rpo` (issue 11). An app stating another RPO promises something the
 * failover neither checks nor keeps, so the catalog refuses it. Durations compare by value
 * ("1m" equals "60s").
 *
 *   billing rpo 1m,  billing-db rpo 1m   -> fine
 *   billing rpo 15m, billing-db rpo 1h   -> problem on billing.yaml criticality.rpo
 */
export function checkRecoveryPoints(loaded: readonly LoadedDescriptor[]): CatalogProblem[] {
  const byName = new Map(loaded.map((entry) => [entry.raw.name, entry]))
  const problems: CatalogProblem[] = []
  for (const entry of loaded) {
    const database = entry.raw.dependencies?.database
    const owned = database === undefined ? undefined : byName.get(database)
    if (owned === undefined) continue
    const stated = entry.raw.criticality.rpo
    const actual = owned.raw.criticality.rpo
    if (parseDuration(stated) === parseDuration(actual)) continue
    const problem: Problem = {
      path: ['criticality', 'rpo'],
      message: `is ${stated}, but its database ${database} has rpo ${actual}; an app's RPO is its database's (set both to the same value)`,
    }
    problems.push({source: entry.source, problem})
  }
  return problems
}
