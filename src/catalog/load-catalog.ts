import {readdir} from 'node:fs/promises'
import {extname, join, resolve} from 'node:path'

import {UsageError} from '../errors.js'
import {packagePath} from '../package-root.js'
import {compileSchema} from '../config/schema-validation.js'
import {displayPath, problemsError, readYamlSource} from '../config/yaml-source.js'
import {createCatalog} from './catalog.js'
import {type LoadedDescriptor, checkCatalog} from './catalog-checks.js'
import {checkDescriptor, toDescriptor} from './descriptor-checks.js'
import {type RawDescriptor, descriptorSchema} from './descriptor-schema.js'
import {isCronExpression} from './cron.js'
import type {Catalog} from './types.js'

/**
 * Environment variable that points the loader at another descriptor directory instead of the
 * bundled services/ (tests use it to feed the built CLI a broken catalog; a team can use it to
 * try out a descriptor before contributing it).
 */
export const SERVICES_DIR_ENV = 'MYGATE_SERVICES_DIR'

export interface LoadCatalogOptions {
  /** Directory of *.yaml descriptors. Default: $MYGATE_SERVICES_DIR, else the package's services/. */
  dir?: string
  /** Environment to read MYGATE_SERVICES_DIR from (default process.env). */
  env?: NodeJS.ProcessEnv
}

const HINT = 'fix the field in that descriptor; services/gateway.yaml in the mygate package is a complete example'

let schemaCheck: ReturnType<typeof compileSchema> | undefined

/** The default descriptor directory for these options. */
export function catalogDir(options: LoadCatalogOptions = {}): string {
  const fromEnv = (options.env ?? process.env)[SERVICES_DIR_ENV]
  if (options.dir) return resolve(options.dir)
  if (fromEnv && fromEnv.trim() !== '') return resolve(fromEnv)
  // The package's own copy, never the cwd: the catalog ships with mygate.
  return packagePath('services')
}

/**
 * Loads and validates every descriptor in the directory. Any problem (YAML syntax, schema,
 * type-specific rule, cross-file reference or cycle) throws a UsageError whose message reads
 * `FILE:LINE: FIELD what is wrong`, with every problem of that file in `details.problems`.
 */
export async function loadCatalog(options: LoadCatalogOptions = {}): Promise<Catalog> {
  const dir = catalogDir(options)
  let entries: string[]
  try {
    entries = await readdir(dir)
  } catch (error) {
    throw new UsageError(`service descriptor directory ${displayPath(dir)} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      hint: `point ${SERVICES_DIR_ENV} at a directory of *.yaml descriptors, or unset it to use the bundled catalog`,
      cause: error,
    })
  }
  const files = entries.filter((entry) => ['.yaml', '.yml'].includes(extname(entry))).sort().map((entry) => join(dir, entry))
  if (files.length === 0) {
    throw new UsageError(`no service descriptors (*.yaml) in ${displayPath(dir)}`, {
      hint: `point ${SERVICES_DIR_ENV} at a directory of *.yaml descriptors, or unset it to use the bundled catalog`,
    })
  }

  schemaCheck ??= compileSchema(descriptorSchema, {cron: isCronExpression})
  const check = schemaCheck
  const sources = await Promise.all(files.map((file) => readYamlSource(file, HINT)))
  const loaded: LoadedDescriptor[] = []
  for (const source of sources) {
    const problems = check(source.data)
    if (problems.length === 0) problems.push(...checkDescriptor(source.data as RawDescriptor))
    if (problems.length > 0) throw problemsError(source, problems, HINT)
    const raw = source.data as RawDescriptor
    loaded.push({source, raw, descriptor: toDescriptor(raw, source.displayPath)})
  }

  const crossProblems = checkCatalog(loaded)
  if (crossProblems.length > 0) {
    const [{source}] = crossProblems
    throw problemsError(source, crossProblems.filter((entry) => entry.source === source).map((entry) => entry.problem), HINT)
  }
  return createCatalog(loaded.map((entry) => entry.descriptor))
}
