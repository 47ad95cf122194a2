import {mkdtemp, readFile, rm, unlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, test} from 'vitest'

import {catalogCachePath} from '../../../src/catalog/catalog-cache.js'
import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import {UsageError} from '../../../src/errors.js'
import {type CatalogCopy, copyBundledCatalog, lineOf} from './catalog-fixture.js'

/**
 * The catalog cache (catalog-cache.ts): a descriptor file whose exact bytes were validated before
 * is taken from the cache; any change to a file is validated in full. A cached entry is proven
 * used by tampering with it (the tampered value comes back), and proven not used by the same
 * tampering not coming back.
 */
interface CacheFile {
  fingerprint: string
  entries: Record<string, {descriptor: {name: string; description: string}}>
}

describe('loading the catalog through its cache', () => {
  let copy: CatalogCopy
  let home: string
  const load = () => loadCatalog({dir: copy.dir, cache: {home}})
  const readCache = async () => JSON.parse(await readFile(catalogCachePath(home), 'utf8')) as CacheFile
  /** Rewrites the cached description of `name`: visible only when the entry is served from the cache. */
  const tamper = async (name: string, description: string) => {
    const cache = await readCache()
    const entry = Object.values(cache.entries).find((e) => e.descriptor.name === name)
    expect(entry, `no cached entry for ${name}`).toBeTruthy()
    entry!.descriptor.description = description
    await writeFile(catalogCachePath(home), JSON.stringify(cache))
  }
  const loadError = async () => {
    const error = await load().then(
      () => undefined,
      (thrown: unknown) => thrown,
    )
    expect(error).toBeInstanceOf(UsageError)
    return error as UsageError
  }

  beforeEach(async () => {
    copy = await copyBundledCatalog()
    home = await mkdtemp(join(tmpdir(), 'mygate-catalog-cache-'))
  })
  afterEach(async () => {
    await copy.remove()
    await rm(home, {recursive: true, force: true})
  })

  test('the first load validates and writes one entry per descriptor; the next serves unchanged files from it', async () => {
    const first = await load()
    expect(Object.keys((await readCache()).entries)).toHaveLength(first.services.length)
    await tamper('billing', 'served from the cache')
    const second = await load()
    expect(second.byName('billing')?.description).toBe('served from the cache')
    // The rest equals a load without the cache, field for field (source paths included).
    const uncached = await loadCatalog({dir: copy.dir, cache: false})
    expect(second.services.filter((s) => s.name !== 'billing')).toEqual(uncached.services.filter((s) => s.name !== 'billing'))
  })

  test('a file changed by one byte is validated in full: a broken value is reported at its line', async () => {
    await load()
    await tamper('billing', 'served from the cache')
    const text = await copy.edit('billing', (t) => t.replace(/( {2}prod:\n {4}replicas:) 3/, '$1 three'))
    const error = await loadError()
    expect(error.message).toBe(`${join(copy.dir, 'billing.yaml')}:${lineOf(text, 'replicas: three')}: tiers.prod.replicas must be an integer between 0 and 100, got "three"`)
  })

  test('a file changed to another valid descriptor is read from the file, not the cache', async () => {
    await load()
    await tamper('visitors', 'served from the cache')
    await copy.edit('visitors', (t) => t.replace(/^description: .*$/m, 'description: edited by hand'))
    expect((await load()).byName('visitors')?.description).toBe('edited by hand')
  })

  test('cross-file checks run on every load, and report the real line even when every file was cached', async () => {
    await load()
    const billing = await readFile(join(copy.dir, 'billing.yaml'), 'utf8')
    await unlink(join(copy.dir, 'billing-db.yaml'))
    const error = await loadError()
    expect(error.message).toMatch(new RegExp(`^${join(copy.dir, 'billing.yaml')}:${lineOf(billing, 'database: billing-db')}: dependencies\\.database refers to "billing-db", which is not in the catalog`))
  })

  test.each([
    {name: 'another validating code (fingerprint)', spoil: (cache: CacheFile) => JSON.stringify({...cache, fingerprint: 'other'})},
    {name: 'a torn file', spoil: (cache: CacheFile) => JSON.stringify(cache).slice(0, 100)},
    {name: 'not our format', spoil: () => '[1, 2, 3]'},
  ])('a cache of $name is a miss, and the load rewrites it', async ({spoil}) => {
    await load()
    await tamper('billing', 'served from the cache')
    await writeFile(catalogCachePath(home), spoil(await readCache()))
    const catalog = await load()
    expect(catalog.byName('billing')?.description).not.toBe('served from the cache')
    expect(Object.keys((await readCache()).entries)).toHaveLength(catalog.services.length)
  })

  test('an unwritable cache costs only time', async () => {
    // The cache path is a directory: the write fails, the load still succeeds.
    const {mkdir} = await import('node:fs/promises')
    await mkdir(catalogCachePath(home), {recursive: true})
    expect((await load()).services.length).toBeGreaterThan(10)
  })
})
