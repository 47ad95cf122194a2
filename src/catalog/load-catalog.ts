import {readdir, readFile} from 'node:fs/promises'
import {extname, join, resolve} from 'node:path'

import {UsageError} from '../errors.js'
import {packagePath} from '../package-root.js'
import {displayPath} from '../config/display-path.js'
import type {SchemaCheck} from '../config/schema-validation.js'
import type {YamlSource} from '../config/yaml-source.js'
import {createCatalog} from './catalog.js'
import {openCatalogCache, type CatalogCache} from './catalog-cache.js'
import {type LoadedDescriptor, checkCatalog} from './catalog-checks.js'
import type {RawDescriptor} from './descriptor-schema.js'
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
  /**
   * Where validated descriptors are remembered by content hash (catalog-cache.ts): default
   * $MYGATE_HOME; `false` validates every file from scratch and writes nothing.
   */
  cache?: {home?: string} | false
}

const HINT = 'fix the field in that descriptor; services/gateway.yaml in the mygate package is a complete example'

let schemaCheck: SchemaCheck | undefined

/** The default descriptor directory for these options. */
export function catalogDir(options: LoadCatalogOptions = {}): string {
  const fromEnv = (options.env ?? process.env)[SERVICES_DIR_ENV]
  if (options.dir) return resolve(options.dir)
  if (fromEnv && fromEnv.trim() !== '') return resolve(fromEnv)
  // The package's own copy, never the cwd: the catalog ships with mygate.
  return packagePath('services')
}

/** The full check of one file: YAML with positions, the JSON schema, the type-specific rules. */
async function validateFile(file: string): Promise<LoadedDescriptor> {
  // Loaded only when a file is not in the cache: the YAML parser and ajv cost a cold start ~0.3 s.
  const [{problemsError, readYamlSource}, {compileSchema}, {descriptorSchema}, {isCronExpression}, {checkDescriptor, toDescriptor}] = await Promise.all([
    import('../config/yaml-source.js'),
    import('../config/schema-validation.js'),
    import('./descriptor-schema.js'),
    import('./cron.js'),
    import('./descriptor-checks.js'),
  ])
  schemaCheck ??= compileSchema(descriptorSchema, {cron: isCronExpression})
  const source = await readYamlSource(file, HINT)
  const problems = schemaCheck(source.data)
  if (problems.length === 0) problems.push(...checkDescriptor(source.data as RawDescriptor))
  if (problems.length > 0) throw problemsError(source, problems, HINT)
  const raw = source.data as RawDescriptor
  return {source, raw, descriptor: toDescriptor(raw, source.displayPath)}
}

/**
 * A descriptor validated by an earlier load of exactly these bytes. Its source has no YAML
 * positions: when a cross-file check finds a problem the catalog is loaded again without the
 * cache, so every message still names its file and line.
 */
function fromCache(file: string, text: string, cache: CatalogCache): LoadedDescriptor | undefined {
  const hit = cache.lookup(file, text)
  if (!hit) return undefined
  const shown = displayPath(file)
  const source: YamlSource = {file, displayPath: shown, data: hit.raw, lineOf: () => 1}
  return {source, raw: hit.raw, descriptor: {...hit.descriptor, source: {file: shown}}}
}

/**
 * Loads and validates every descriptor in the directory. Any problem (YAML syntax, schema,
 * type-specific rule, cross-file reference or cycle) throws a UsageError whose message reads
 * `FILE:LINE: FIELD what is wrong`, with every problem of that file in `details.problems`.
 * A file whose exact contents an earlier load validated is taken from the cache (catalog-cache.ts);
 * any other file is validated in full, and the cross-file checks run on every load.
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

  const cache = options.cache === false ? undefined : await openCatalogCache({home: options.cache?.home})
  // A file that cannot be read goes the full way, which reports it.
  const texts = await Promise.all(files.map((file) => readFile(file, 'utf8').catch(() => undefined)))
  const loaded = await Promise.all(
    files.map((file, index) => {
      const text = texts[index]
      return (cache && text !== undefined ? fromCache(file, text, cache) : undefined) ?? validateFile(file)
    }),
  )

  const crossProblems = checkCatalog(loaded)
  if (crossProblems.length > 0) {
    if (cache) return loadCatalog({...options, cache: false})
    const {problemsError} = await import('../config/yaml-source.js')
    const [{source}] = crossProblems
    throw problemsError(source, crossProblems.filter((entry) => entry.source === source).map((entry) => entry.problem), HINT)
  }
  if (cache) {
    await cache.save(loaded.flatMap((entry, index) => (texts[index] === undefined ? [] : [{file: files[index], text: texts[index], raw: entry.raw, descriptor: entry.descriptor}])))
  }
  return createCatalog(loaded.map((entry) => entry.descriptor))
}
