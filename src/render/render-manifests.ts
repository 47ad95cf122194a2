import {loadCatalog} from '../catalog/load-catalog.js'
import {loadProjectConfig, resolveEnvironment} from '../config/load-project-config.js'
import type {KubeObject} from '../kube/types.js'
import type {OutputFormat} from './output.js'
import {renderEnvironment} from './render-environment.js'
import {validateObjects} from './validate.js'
import {writeRenderOutput} from './write-output.js'

export interface RenderManifestsOptions {
  /** Environment name from mygate.yaml. */
  env: string
  /** Only these services (default: all). */
  services?: string[]
  /** Write files here (see write-output.ts) instead of returning the objects. */
  out?: string
  format: OutputFormat
  /** Default true. */
  includeBaseline?: boolean
  /** Explicit mygate.yaml (--config / $MYGATE_CONFIG). */
  configPath?: string
}

/**
 * `mygate render --json` result.
 * - env: the environment rendered
 * - objects: how many objects were rendered (and validated)
 * - files: with --out, the file names written inside the directory (in apply order)
 * - dir: with --out, the absolute directory
 * - manifests: without --out, the objects themselves (sorted for applying)
 */
export interface RenderManifestsResult {
  env: string
  objects: number
  files?: string[]
  dir?: string
  manifests?: KubeObject[]
}

/** Loads config and catalog, renders, validates every object, then (optionally) writes. */
export async function renderManifests(options: RenderManifestsOptions): Promise<RenderManifestsResult> {
  const config = await loadProjectConfig({configPath: options.configPath})
  const env = resolveEnvironment(config, options.env)
  const catalog = await loadCatalog()
  const rendered = await renderEnvironment({catalog, env, services: options.services, includeBaseline: options.includeBaseline})
  // Everything is validated before a single byte is written.
  await validateObjects(rendered.objects)
  if (options.out === undefined) return {env: env.name, objects: rendered.objects.length, manifests: rendered.objects}
  const written = await writeRenderOutput(options.out, rendered, options.format)
  return {env: env.name, objects: rendered.objects.length, files: written.files, dir: written.dir}
}
