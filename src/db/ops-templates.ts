import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {UsageError} from '../errors.js'
import type {KubeObject} from '../kube/types.js'
import {CompiledTemplate, compileTemplate, renderTemplate, type TemplateContext} from '../render/template-engine.js'
import {defaultTemplateDirs} from '../render/template-loader.js'

/**
 * The database-operation templates and scripts in templates/mongodb/ops/ (under
 * MYGATE_TEMPLATES_DIR when set, like every other template).
 */

export function opsDir(templatesDir = defaultTemplateDirs().templates, store: 'mongodb' | 'redis' = 'mongodb'): string {
  return join(templatesDir, store, 'ops')
}

const compiled = new Map<string, Promise<CompiledTemplate>>()

async function loadTemplate(file: string): Promise<CompiledTemplate> {
  let entry = compiled.get(file)
  if (!entry) {
    entry = readFile(file, 'utf8').then((text) => compileTemplate(text, file))
    entry.catch(() => compiled.delete(file))
    compiled.set(file, entry)
  }
  return entry
}

/** Renders templates/STORE/ops/NAME (one object; STORE mongodb unless said). */
export async function renderOpsTemplate(name: string, context: TemplateContext, templatesDir?: string, store: 'mongodb' | 'redis' = 'mongodb'): Promise<KubeObject> {
  const file = join(opsDir(templatesDir, store), name)
  const documents = renderTemplate(await loadTemplate(file), context)
  if (documents.length !== 1) throw new UsageError(`${file}: expected one Kubernetes object, found ${documents.length}`, {hint: 'keep one document in the template'})
  return documents[0] as KubeObject
}

/** A script shipped beside the templates, as text. */
export async function readOpsScript(name: string, templatesDir?: string): Promise<string> {
  return readFile(join(opsDir(templatesDir), name), 'utf8')
}
