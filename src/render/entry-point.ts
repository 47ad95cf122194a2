import {join} from 'node:path'

import {requireService} from '../catalog/catalog.js'
import type {Catalog} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import type {KubeObject} from '../kube/types.js'
import {GATEWAY_SERVICE} from './contexts.js'
import {entryContext} from './entry-context.js'
import {commonLabels, imageTag} from './labels.js'
import {toObjects} from './render-environment.js'
import {defaultTemplateDirs, loadTemplateFolder, type TemplateDirs} from './template-loader.js'

/** The folder under templates/ rendered once per region for the gateway's entry point. */
export const ENTRY_TEMPLATE_FOLDER = 'entry'

/**
 * The gateway's entry point objects for one region (an Ingress, plus GKE's ManagedCertificate and
 * BackendConfig on gcp), labelled as the gateway's. Validate with validateObjects() before use.
 */
export async function renderEntryPoint(options: {
  catalog: Catalog
  env: EnvironmentSpec
  region: string
  /** The environment's DNS name (the Ingress host and certificate domain), if it has one. */
  dnsName?: string
  dirs?: TemplateDirs
}): Promise<KubeObject[]> {
  const dirs = options.dirs ?? defaultTemplateDirs()
  const gateway = requireService(options.catalog, GATEWAY_SERVICE)
  const context = entryContext(options.env, options.region, gateway, options.dnsName)
  const labels = commonLabels(gateway.name, imageTag(gateway, options.env), options.env.name)
  const templates = await loadTemplateFolder(join(dirs.templates, ENTRY_TEMPLATE_FOLDER))
  return templates.flatMap((template) => toObjects(template, context, labels))
}
