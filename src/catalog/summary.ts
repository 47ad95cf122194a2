import {stringify} from 'yaml'

import {directDependencies} from './catalog.js'
import type {Catalog, Criticality, RolloutStrategy, ServiceDescriptor, ServiceKind, Tier} from './types.js'

/**
 * One row of `mygate services list`; also its `--json` result (an array of these). Part of the
 * JSON contract: add fields, never rename or remove them.
 */
export interface ServiceSummary {
  name: string
  kind: ServiceKind
  description: string
  /** repository:tag as bundled, before any registry prefix or environment override. */
  image: string
  /** Default rollout strategy. */
  strategy: RolloutStrategy
  criticality: Criticality
  /** Replicas per tier. */
  replicas: Record<Tier, number>
  /** May run on spot / preemptible capacity. */
  spot: boolean
  /** Direct dependencies: database, cache, then services. */
  dependsOn: string[]
}

export function summarizeService(service: ServiceDescriptor): ServiceSummary {
  return {
    name: service.name,
    kind: service.kind,
    description: service.description,
    image: `${service.image.repository}:${service.image.tag}`,
    strategy: service.rollout.strategy,
    criticality: service.criticality.level,
    replicas: {dev: service.tiers.dev.replicas, staging: service.tiers.staging.replicas, prod: service.tiers.prod.replicas},
    spot: service.spot,
    dependsOn: directDependencies(service),
  }
}

export function summarizeCatalog(catalog: Catalog): ServiceSummary[] {
  return catalog.services.map(summarizeService)
}

/** A plain aligned table (no colours, no box drawing) so it reads the same in a terminal and a CI log. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

export function formatServiceTable(summaries: readonly ServiceSummary[]): string {
  return formatTable(
    ['NAME', 'KIND', 'STRATEGY', 'CRITICALITY', 'REPLICAS dev/staging/prod', 'SPOT'],
    summaries.map((s) => [
      s.name,
      s.kind,
      s.strategy,
      s.criticality,
      `${s.replicas.dev}/${s.replicas.staging}/${s.replicas.prod}`,
      s.spot ? 'yes' : 'no',
    ]),
  )
}

/** The descriptor for a person: the file it came from, then its fields as YAML (secrets are references only). */
export function formatServiceDetails(service: ServiceDescriptor): string {
  const {source, ...fields} = service
  return `# ${service.name} (${service.kind}), from ${source.file}\n${stringify(fields, {lineWidth: 100})}`.trimEnd()
}
