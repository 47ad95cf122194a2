import {readdir, readFile} from 'node:fs/promises'
import {isAbsolute, join, relative, resolve} from 'node:path'

import {UsageError} from '../errors.js'
import {packagePath, packageRoot} from '../package-root.js'
import {CompiledTemplate, compileTemplate} from './template-engine.js'

/** Where templates/ and manifests/ are read from. */
export interface TemplateDirs {
  templates: string
  manifests: string
}

/**
 * The bundled folders, unless overridden by MYGATE_TEMPLATES_DIR / MYGATE_MANIFESTS_DIR (same
 * layout as the bundled ones; used to try template changes and by tests of failing renders).
 */
export function defaultTemplateDirs(env: NodeJS.ProcessEnv = process.env): TemplateDirs {
  const pick = (value: string | undefined, fallback: string) => (value && value.trim() !== '' ? resolve(value) : fallback)
  return {
    templates: pick(env.MYGATE_TEMPLATES_DIR, packagePath('templates')),
    manifests: pick(env.MYGATE_MANIFESTS_DIR, packagePath('manifests')),
  }
}

function displayPath(file: string): string {
  const inside = relative(packageRoot, file)
  return inside.startsWith('..') || isAbsolute(inside) ? file : inside
}

// Templates are compiled once per process: a render of 500 services reuses the same few files.
const cache = new Map<string, Promise<CompiledTemplate[]>>()

async function loadFolder(dir: string): Promise<CompiledTemplate[]> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.yaml') || name.endsWith('.yml')).sort()
  } catch (error) {
    throw new UsageError(`cannot read template folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: 'check MYGATE_TEMPLATES_DIR / MYGATE_MANIFESTS_DIR, or reinstall mygate',
      cause: error,
    })
  }
  return Promise.all(
    names.map(async (name) => {
      const file = join(dir, name)
      return compileTemplate(await readFile(file, 'utf8'), displayPath(file))
    }),
  )
}

/** Every *.yaml template in a folder, compiled, in file-name order. */
export function loadTemplateFolder(dir: string): Promise<CompiledTemplate[]> {
  const key = resolve(dir)
  let entry = cache.get(key)
  if (!entry) {
    entry = loadFolder(key)
    // A failed load is not cached: the user may fix the file and the process may retry.
    entry.catch(() => cache.delete(key))
    cache.set(key, entry)
  }
  return entry
}

/** One template file, compiled (cached like the folders). */
export async function loadTemplateFile(file: string): Promise<CompiledTemplate> {
  const key = `file:${resolve(file)}`
  let entry = cache.get(key)
  if (!entry) {
    entry = readFile(resolve(file), 'utf8').then(
      (text) => [compileTemplate(text, displayPath(resolve(file)))],
      (error: unknown) => {
        throw new UsageError(`cannot read template ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
          hint: 'check MYGATE_TEMPLATES_DIR, or reinstall mygate',
          cause: error,
        })
      },
    )
    entry.catch(() => cache.delete(key))
    cache.set(key, entry)
  }
  return (await entry)[0]
}

/** For tests that rewrite template files within one process. */
export function clearTemplateCache(): void {
  cache.clear()
}
