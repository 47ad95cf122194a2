import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {parse} from 'yaml'

import {currentOperator} from '../audit/identity.js'
import {TimeoutError} from '../errors.js'
import {applyObjects, type AppliedObject} from '../kube/apply.js'
import type {KubeApi} from '../kube/api.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import {packagePath} from '../package-root.js'
import {renderTemplate} from '../render/template-engine.js'
import {defaultTemplateDirs, loadTemplateFolder} from '../render/template-loader.js'
import {appendFlagAudit} from './flag-audit.js'
import {assertValidFlagSet} from './flag-schema.js'
import {FEATURE_FLAG_NAME, featureFlagObject, FLAGS_NAMESPACE, readFlagSet} from './flag-store.js'
import type {FlagSet} from './types.js'

/** flagd's release the Deployment runs (https://github.com/open-feature/flagd/releases). */
export const FLAGD_IMAGE = 'ghcr.io/open-feature/flagd:v0.16.1'

/** The bundled flags (services/flags/bundled.yaml), validated: every environment starts with them, all off. */
export async function bundledFlags(): Promise<FlagSet> {
  const file = packagePath('services', 'flags', 'bundled.yaml')
  const document = parse(await readFile(file, 'utf8')) as unknown
  assertValidFlagSet(document, 'services/flags/bundled.yaml')
  return document
}

/** templates/flagd/ rendered for the app namespace: the FeatureFlag CRD, and flagd with its RBAC. */
export async function flagdObjects(environment: string): Promise<{crd: KubeObject[]; flagd: KubeObject[]}> {
  const templates = await loadTemplateFolder(join(defaultTemplateDirs().templates, 'flagd'))
  const labels = {'app.kubernetes.io/name': 'flagd', 'app.kubernetes.io/part-of': 'mygate', 'app.kubernetes.io/managed-by': MANAGED_BY, 'mygate.dev/environment': environment}
  const context = {namespace: FLAGS_NAMESPACE, featureFlag: FEATURE_FLAG_NAME, image: FLAGD_IMAGE, labels}
  const objects = templates.flatMap((template) => renderTemplate(template, context)) as KubeObject[]
  return {crd: objects.filter((o) => o.kind === 'CustomResourceDefinition'), flagd: objects.filter((o) => o.kind !== 'CustomResourceDefinition')}
}

/** Asks discovery directly (not the client's cache, which would remember "not served"). */
async function featureFlagsServed(client: KubeApi): Promise<boolean> {
  const response = await client.raw('GET', '/apis/core.openfeature.dev/v1beta1', {what: 'discover core.openfeature.dev/v1beta1'})
  if (response.status !== 200) return false
  return (JSON.parse(response.body) as {resources?: Array<{kind: string}>}).resources?.some((r) => r.kind === 'FeatureFlag') ?? false
}

export interface EnsureFlagsResult {
  crdInstalled: boolean
  applied: AppliedObject[]
  /** True when the environment had no flags and got the bundled ones. */
  seeded: boolean
}

/**
 * Makes one cluster serve flags: the FeatureFlag CRD when the cluster lacks it (a cluster with the
 * OpenFeature Operator keeps its own), flagd with the RBAC its Kubernetes sync needs, and the
 * environment's FeatureFlag with the bundled flags when it has none (existing flags are never
 * overwritten: they may have been changed since). Converges: a second run changes nothing.
 */
export async function ensureFlags(client: KubeApi, environment: string, options: {timeoutMs?: number} = {}): Promise<EnsureFlagsResult> {
  const {crd, flagd} = await flagdObjects(environment)
  let crdInstalled = false
  if (!(await featureFlagsServed(client))) {
    await applyObjects(client, crd)
    crdInstalled = true
    const deadline = Date.now() + (options.timeoutMs ?? 30_000)
    while (!(await featureFlagsServed(client))) {
      if (Date.now() > deadline) throw new TimeoutError('the FeatureFlag CRD (core.openfeature.dev/v1beta1) was not served in time', {hint: 're-run `mygate env create` to finish'})
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  const applied = await applyObjects(client, flagd)
  const stored = await readFlagSet(client)
  let seeded = false
  if (stored.resourceVersion === undefined) {
    const set = await bundledFlags()
    await client.create(featureFlagObject(set, environment))
    const who = currentOperator()
    const at = new Date().toISOString()
    await appendFlagAudit(
      client,
      Object.entries(set.flags).map(([flag, after]) => ({at, flag, environment, action: 'create' as const, user: who.user, host: who.host, after, reason: 'bundled flag, created with the environment'})),
    )
    seeded = true
  }
  return {crdInstalled, applied, seeded}
}
