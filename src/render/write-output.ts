import {chmod, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import {UsageError} from '../errors.js'
import type {KubeObject} from '../kube/types.js'
import {OutputFormat, formatObjects} from './output.js'
import type {RenderResult} from './render-environment.js'

/**
 * Writes a render into a directory, all or nothing.
 *
 * Layout: one file per service, `SERVICE.yaml` (or `.json`, a v1 List), plus `00-baseline.yaml`
 * for the baseline, so `kubectl apply -f DIR` (which reads files in name order) creates the
 * namespaces first. A `.mygate-render` marker names the directory as mygate's.
 *
 * Atomicity: the caller renders and validates everything in memory first; here the files go to
 * a temporary directory beside the target, which is then renamed into place. An existing target
 * is replaced only if it is empty or carries the marker (a render directory from before), so a
 * mistaken `--out .` cannot wipe a working tree.
 */

export const RENDER_MARKER = '.mygate-render'
export const BASELINE_FILE_STEM = '00-baseline'

export interface WrittenOutput {
  dir: string
  /** File names inside `dir`, in order. */
  files: string[]
}

function unwritable(path: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error)
  return new UsageError(`cannot write to --out ${path} (${code})`, {
    hint: 'choose a directory you can write to, e.g. --out ./rendered',
    cause: error,
  })
}

/** The file name -> objects plan, without touching the disk. */
export function planFiles(result: RenderResult, format: OutputFormat): Array<{name: string; objects: KubeObject[]}> {
  const files: Array<{name: string; objects: KubeObject[]}> = []
  if (result.baseline.length > 0) files.push({name: `${BASELINE_FILE_STEM}.${format}`, objects: result.baseline})
  for (const name of Object.keys(result.byService).sort()) {
    files.push({name: `${name}.${format}`, objects: result.byService[name]})
  }
  return files
}

async function checkTarget(out: string): Promise<boolean> {
  let info
  try {
    info = await stat(out)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw unwritable(out, error)
  }
  if (!info.isDirectory()) {
    throw new UsageError(`--out ${out} exists and is not a directory`, {hint: 'name a new or empty directory'})
  }
  const entries = await readdir(out)
  if (entries.length > 0 && !entries.includes(RENDER_MARKER)) {
    throw new UsageError(`refusing to replace --out ${out}: it holds files mygate did not render`, {
      hint: 'name a new or empty directory, or one written by an earlier `mygate render --out`',
    })
  }
  return true
}

export async function writeRenderOutput(outDir: string, result: RenderResult, format: OutputFormat): Promise<WrittenOutput> {
  const out = resolve(outDir)
  const parent = dirname(out)
  const files = planFiles(result, format)
  try {
    await mkdir(parent, {recursive: true})
  } catch (error) {
    throw unwritable(out, error)
  }
  const exists = await checkTarget(out)
  let staging: string
  try {
    staging = await mkdtemp(join(parent, `.${basename(out)}.tmp-`))
    // mkdtemp makes it private (0700); the result is an ordinary output directory.
    await chmod(staging, 0o755)
  } catch (error) {
    throw unwritable(out, error)
  }
  const previous = `${staging}-previous`
  try {
    for (const file of files) await writeFile(join(staging, file.name), formatObjects(file.objects, format))
    await writeFile(join(staging, RENDER_MARKER), 'Written by `mygate render --out`; replaced as a whole on the next render.\n')
    if (exists) await rename(out, previous)
    try {
      await rename(staging, out)
    } catch (error) {
      if (exists) await rename(previous, out)
      throw error
    }
  } catch (error) {
    await rm(staging, {recursive: true, force: true})
    throw error instanceof UsageError ? error : unwritable(out, error)
  }
  if (exists) await rm(previous, {recursive: true, force: true})
  return {dir: out, files: files.map((f) => f.name)}
}
