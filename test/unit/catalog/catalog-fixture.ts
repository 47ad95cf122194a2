import {cp, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import {UsageError} from '../../../src/errors.js'
import {packagePath} from '../../../src/package-root.js'

/** A temp copy of the bundled services/ that a test may break one file of. */
export interface CatalogCopy {
  dir: string
  /** Rewrites services/NAME.yaml in the copy; returns the new text. */
  edit(name: string, change: (text: string) => string): Promise<string>
  remove(): Promise<void>
}

export async function copyBundledCatalog(): Promise<CatalogCopy> {
  const dir = await mkdtemp(join(tmpdir(), 'mygate-catalog-'))
  await cp(packagePath('services'), dir, {recursive: true})
  return {
    dir,
    async edit(name, change) {
      const file = join(dir, `${name}.yaml`)
      const before = await readFile(file, 'utf8')
      const after = change(before)
      // A replacement that matched nothing would make the test pass for the wrong reason.
      expect(after, `edit of ${name}.yaml changed nothing`).not.toBe(before)
      await writeFile(file, after)
      return after
    },
    remove: () => rm(dir, {recursive: true, force: true}),
  }
}

/** 1-based line of the first line containing `needle`; fails the test when absent. */
export function lineOf(text: string, needle: string, after = 0): number {
  const lines = text.split('\n')
  const index = lines.findIndex((line, i) => i >= after && line.includes(needle))
  expect(index, `"${needle}" not found`).toBeGreaterThanOrEqual(0)
  return index + 1
}

export async function loadError(dir: string): Promise<UsageError> {
  const error = await loadCatalog({dir}).then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(UsageError)
  return error as UsageError
}
