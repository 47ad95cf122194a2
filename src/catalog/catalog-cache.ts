import {createHash} from 'node:crypto'
import {readdir, readFile} from 'node:fs/promises'
import {extname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {writeFileAtomic} from '../atomic-file.js'
import {mygateHome} from '../home.js'
import type {RawDescriptor} from './descriptor-schema.js'
import type {ServiceDescriptor} from './types.js'

/**
 * What validating a descriptor file produced, remembered by the exact bytes of the file, so the
 * next command skips parsing and validating descriptors that did not change (issue 13: about a
 * second of every command went to YAML parsing, compiling the JSON schema and checking the
 * bundled catalog, which changes only with mygate itself).
 *
 * The rules that keep it honest:
 *   - An entry is found only by the SHA-256 of the file's path and contents: a changed file (one
 *     byte) misses and is parsed and validated in full. Nothing is trusted by time stamps.
 *   - The whole cache is keyed by a fingerprint of the validating code (the catalog modules,
 *     the schema-validation module, duration parsing, the Node version): a mygate upgrade or a
 *     local code change drops every entry.
 *   - Only files of a catalog that loaded without a problem are written; the cross-file checks
 *     (catalog-checks.ts) always run, on every load.
 *   - It is a cache: an unreadable, corrupt or foreign file is a miss (the catalog is validated
 *     from its files, which are the truth), and a failed write costs only the next command's
 *     time, never this one's result.
 *
 * One file, $MYGATE_HOME/cache/catalog.json, holding the entries of the last catalog loaded, so
 * it does not grow with edits. Each entry holds the raw descriptor and the validated one.
 */

export interface CachedDescriptor {
  raw: RawDescriptor
  descriptor: ServiceDescriptor
}

interface CacheFile {
  format: typeof FORMAT
  fingerprint: string
  entries: Record<string, CachedDescriptor>
}

const FORMAT = 1

export interface CatalogCache {
  /** The validated descriptor of exactly this file and text, when a previous load validated it. */
  lookup(file: string, text: string): CachedDescriptor | undefined
  /** Replaces the cache with these entries (a catalog that loaded without a problem). */
  save(entries: ReadonlyArray<{file: string; text: string} & CachedDescriptor>): Promise<void>
}

export function catalogCachePath(home = mygateHome()): string {
  return join(home, 'cache', 'catalog.json')
}

function entryKey(file: string, text: string): string {
  return createHash('sha256').update(file).update('\0').update(text).digest('hex')
}

/** The source (or compiled) files whose code decides what a descriptor validates to. */
async function validatingCode(): Promise<string[]> {
  const here = fileURLToPath(new URL('.', import.meta.url))
  const code = (name: string) => ['.js', '.ts'].includes(extname(name)) && !name.endsWith('.d.ts')
  const catalogFiles = (await readdir(here)).filter(code).sort().map((name) => join(here, name))
  const config = join(here, '..', 'config')
  const ext = extname(fileURLToPath(import.meta.url))
  return [...catalogFiles, join(config, `schema-validation${ext}`), join(here, '..', `duration${ext}`)]
}

let fingerprintOnce: Promise<string> | undefined

/** SHA-256 of the validating code and the Node version (time-zone checks use its ICU data). */
export function validatorFingerprint(): Promise<string> {
  fingerprintOnce ??= (async () => {
    const hash = createHash('sha256').update(`format ${FORMAT}\0node ${process.version}\0`)
    for (const file of await validatingCode()) hash.update(file.slice(file.lastIndexOf('/') + 1)).update('\0').update(await readFile(file)).update('\0')
    return hash.digest('hex')
  })()
  return fingerprintOnce
}

async function readCacheFile(path: string, fingerprint: string): Promise<CacheFile['entries']> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    // Absent or unreadable: a miss; the descriptors are validated from their files.
    return {}
  }
  try {
    const parsed = JSON.parse(text) as Partial<CacheFile>
    return parsed.format === FORMAT && parsed.fingerprint === fingerprint && parsed.entries && typeof parsed.entries === 'object' ? parsed.entries : {}
  } catch {
    // Torn or hand-edited: a miss, overwritten by the next successful load.
    return {}
  }
}

export async function openCatalogCache(options: {home?: string} = {}): Promise<CatalogCache> {
  const path = catalogCachePath(options.home)
  const fingerprint = await validatorFingerprint()
  const entries = await readCacheFile(path, fingerprint)
  return {
    lookup(file, text) {
      const hit = entries[entryKey(file, text)]
      return hit?.raw && hit.descriptor ? hit : undefined
    },
    async save(loaded) {
      const fresh: CacheFile = {format: FORMAT, fingerprint, entries: {}}
      for (const entry of loaded) fresh.entries[entryKey(entry.file, entry.text)] = {raw: entry.raw, descriptor: entry.descriptor}
      const keys = Object.keys(fresh.entries)
      if (keys.length === Object.keys(entries).length && keys.every((key) => key in entries)) return
      try {
        await writeFileAtomic(path, JSON.stringify(fresh))
      } catch {
        // A read-only or full home: the next command validates from the files again.
      }
    },
  }
}
