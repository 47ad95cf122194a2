import {basename, extname} from 'node:path'

import type {Problem, YamlSource} from '../config/yaml-source.js'
import type {RawDescriptor} from './descriptor-schema.js'
import {findDependencyCycle} from './dependency-order.js'
import {checkRecoveryPoints} from './recovery-checks.js'
import {checkSecretReferences} from './secret-checks.js'
import type {ServiceDescriptor, ServiceKind} from './types.js'

/**
 * Rules across descriptor files: names match files and are unique, dependencies point at
 * existing descriptors of the right type, each database has one owner, and nothing depends on
 * itself through a cycle, the secrets lists agree (secret-checks.ts), and an app's RPO is its
 * database's (recovery-checks.ts). Each problem is tied to the file (and field) to fix.
 */

export interface LoadedDescriptor {
  source: YamlSource
  raw: RawDescriptor
  descriptor: ServiceDescriptor
}

export interface CatalogProblem {
  source: YamlSource
  problem: Problem
}

const KIND_WORD: Record<ServiceKind, string> = {app: 'an app service', mongodb: 'a mongodb database', redis: 'a redis cache'}

export function checkCatalog(loaded: readonly LoadedDescriptor[]): CatalogProblem[] {
  const problems: CatalogProblem[] = []
  const byName = new Map<string, LoadedDescriptor>()
  for (const entry of loaded) {
    const stem = basename(entry.source.file, extname(entry.source.file))
    if (entry.raw.name !== stem) {
      problems.push({source: entry.source, problem: {path: ['name'], message: `must match the file name "${stem}", got "${entry.raw.name}"`}})
    }
    const earlier = byName.get(entry.raw.name)
    if (earlier) {
      problems.push({source: entry.source, problem: {path: ['name'], message: `"${entry.raw.name}" is already used by ${earlier.source.displayPath}`}})
    } else byName.set(entry.raw.name, entry)
  }

  const owners = new Map<string, string>()
  for (const entry of loaded) {
    const {database, cache, services = []} = entry.raw.dependencies ?? {}
    const expect = (path: Problem['path'], name: string, kind: ServiceKind) => {
      const target = byName.get(name)
      const known = [...byName.values()].filter((other) => other.raw.type === kind).map((other) => other.raw.name).sort()
      if (!target) {
        problems.push({source: entry.source, problem: {path, message: `refers to "${name}", which is not in the catalog (${kind} services: ${known.join(', ') || 'none'})`}})
      } else if (target.raw.type !== kind) {
        problems.push({source: entry.source, problem: {path, message: `must name ${KIND_WORD[kind]}, but "${name}" is ${KIND_WORD[target.raw.type]}`}})
      }
    }
    if (database !== undefined) {
      expect(['dependencies', 'database'], database, 'mongodb')
      const owner = owners.get(database)
      if (owner !== undefined) {
        problems.push({source: entry.source, problem: {path: ['dependencies', 'database'], message: `"${database}" is already owned by ${owner}; each service has its own database`}})
      } else owners.set(database, entry.raw.name)
    }
    if (cache !== undefined) expect(['dependencies', 'cache'], cache, 'redis')
    for (const [index, name] of services.entries()) {
      if (name === entry.raw.name) problems.push({source: entry.source, problem: {path: ['dependencies', 'services', index], message: 'must not name the service itself'}})
      else expect(['dependencies', 'services', index], name, 'app')
    }
  }
  if (problems.length > 0) return problems

  problems.push(...checkSecretReferences(loaded))
  problems.push(...checkRecoveryPoints(loaded))
  if (problems.length > 0) return problems

  const cycle = findDependencyCycle(loaded.map((entry) => entry.descriptor))
  if (cycle) {
    const [from, to] = cycle
    const entry = byName.get(from) as LoadedDescriptor
    const index = (entry.raw.dependencies?.services ?? []).indexOf(to)
    problems.push({
      source: entry.source,
      problem: {path: ['dependencies', 'services', index], message: `closes a dependency cycle: ${cycle.join(' -> ')}`},
    })
  }
  return problems
}
