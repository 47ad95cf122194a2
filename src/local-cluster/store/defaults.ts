import type {KubeObject} from '../../kube/types.js'
import {isPlainObject} from './object-utils.js'

type Obj = Record<string, unknown>

function obj(parent: Obj, key: string): Obj {
  const value = parent[key]
  if (isPlainObject(value)) return value
  const created: Obj = {}
  parent[key] = created
  return created
}

function setDefault(target: Obj, key: string, value: unknown): void {
  if (target[key] === undefined) target[key] = value
}

function defaultContainer(container: Obj): void {
  setDefault(container, 'terminationMessagePath', '/dev/termination-log')
  setDefault(container, 'terminationMessagePolicy', 'File')
  const image = typeof container.image === 'string' ? container.image : ''
  const tag = image.includes('@') ? 'digest' : image.split('/').at(-1)!.split(':')[1]
  setDefault(container, 'imagePullPolicy', tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent')
  for (const port of Array.isArray(container.ports) ? container.ports : []) if (isPlainObject(port)) setDefault(port, 'protocol', 'TCP')
}

/** A pod's containers request what they limit unless they say otherwise (upstream SetDefaults_Pod). */
function defaultRequestsFromLimits(spec: Obj): void {
  for (const key of ['containers', 'initContainers']) {
    for (const c of Array.isArray(spec[key]) ? spec[key] : []) {
      if (!isPlainObject(c) || !isPlainObject(c.resources) || !isPlainObject(c.resources.limits)) continue
      const requests = obj(c.resources, 'requests')
      for (const [name, value] of Object.entries(c.resources.limits)) setDefault(requests, name, value)
    }
  }
}

/**
 * A Container item's default limit falls back to its max, its default request to its default
 * limit, then to its min (upstream SetDefaults_LimitRangeItem).
 */
function defaultLimitRange(spec: Obj): void {
  for (const item of Array.isArray(spec.limits) ? spec.limits : []) {
    if (!isPlainObject(item) || item.type !== 'Container') continue
    const defaults = obj(item, 'default')
    const defaultRequest = obj(item, 'defaultRequest')
    for (const [name, value] of Object.entries(isPlainObject(item.max) ? item.max : {})) setDefault(defaults, name, value)
    for (const [name, value] of Object.entries(defaults)) setDefault(defaultRequest, name, value)
    for (const [name, value] of Object.entries(isPlainObject(item.min) ? item.min : {})) setDefault(defaultRequest, name, value)
    // Empty maps are not serialised (omitempty).
    if (Object.keys(defaults).length === 0) delete item.default
    if (Object.keys(defaultRequest).length === 0) delete item.defaultRequest
  }
}

function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always')
  setDefault(spec, 'terminationGracePeriodSeconds', 30)
  setDefault(spec, 'dnsPolicy', 'ClusterFirst')
  setDefault(spec, 'schedulerName', 'default-scheduler')
  setDefault(spec, 'securityContext', {})
  for (const key of ['containers', 'initContainers']) for (const c of Array.isArray(spec[key]) ? spec[key] : []) if (isPlainObject(c)) defaultContainer(c)
}

function defaultTemplate(spec: Obj): void {
  const template = spec.template
  if (isPlainObject(template) && isPlainObject(template.spec)) defaultPodSpec(template.spec)
}

function clusterIpFor(key: string): string {
  let hash = 2166136261
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619) >>> 0
  return `10.96.${(hash >>> 8) & 0xff}.${Math.max(2, hash & 0xff)}`
}

/**
 * The defaults the real API server fills in on write (the ones clients and `kubectl describe`
 * rely on: deployment strategy, replicas, pod restart policy, port protocols...). Mutates `object`.
 */
export function applyDefaults(typeKey: string, object: KubeObject): void {
  const root = object as Obj
  const spec = (): Obj => obj(root, 'spec')
  switch (typeKey) {
    case 'apps/deployments': {
      const s = spec()
      setDefault(s, 'replicas', 1)
      setDefault(s, 'revisionHistoryLimit', 10)
      setDefault(s, 'progressDeadlineSeconds', 600)
      const strategy = obj(s, 'strategy')
      setDefault(strategy, 'type', 'RollingUpdate')
      if (strategy.type === 'RollingUpdate') {
        const rolling = obj(strategy, 'rollingUpdate')
        setDefault(rolling, 'maxSurge', '25%')
        setDefault(rolling, 'maxUnavailable', '25%')
      }
      defaultTemplate(s)
      break
    }
    case 'apps/replicasets':
      setDefault(spec(), 'replicas', 1)
      defaultTemplate(spec())
      break
    case 'apps/statefulsets': {
      const s = spec()
      setDefault(s, 'replicas', 1)
      setDefault(s, 'podManagementPolicy', 'OrderedReady')
      setDefault(s, 'revisionHistoryLimit', 10)
      const strategy = obj(s, 'updateStrategy')
      setDefault(strategy, 'type', 'RollingUpdate')
      if (strategy.type === 'RollingUpdate') setDefault(obj(strategy, 'rollingUpdate'), 'partition', 0)
      defaultTemplate(s)
      break
    }
    case 'batch/jobs': {
      const s = spec()
      setDefault(s, 'completions', 1)
      setDefault(s, 'parallelism', 1)
      setDefault(s, 'backoffLimit', 6)
      setDefault(s, 'completionMode', 'NonIndexed')
      setDefault(s, 'suspend', false)
      defaultTemplate(s)
      break
    }
    case 'batch/cronjobs': {
      const s = spec()
      setDefault(s, 'concurrencyPolicy', 'Allow')
      setDefault(s, 'suspend', false)
      setDefault(s, 'successfulJobsHistoryLimit', 3)
      setDefault(s, 'failedJobsHistoryLimit', 1)
      const jobTemplate = s.jobTemplate
      if (isPlainObject(jobTemplate) && isPlainObject(jobTemplate.spec)) defaultTemplate(jobTemplate.spec)
      break
    }
    case '/pods':
      defaultPodSpec(spec())
      defaultRequestsFromLimits(spec())
      break
    case '/limitranges':
      defaultLimitRange(spec())
      break
    case '/services': {
      const s = spec()
      setDefault(s, 'type', 'ClusterIP')
      setDefault(s, 'sessionAffinity', 'None')
      if (s.type !== 'ExternalName' && s.clusterIP === undefined) {
        // A stable address per namespace/name: no allocator state to persist, re-applies keep it.
        s.clusterIP = clusterIpFor(`${String(object.metadata.namespace)}/${String(object.metadata.name)}`)
        s.clusterIPs = [s.clusterIP]
      }
      for (const port of Array.isArray(s.ports) ? s.ports : []) {
        if (!isPlainObject(port)) continue
        setDefault(port, 'protocol', 'TCP')
        setDefault(port, 'targetPort', port.port)
      }
      break
    }
    case '/secrets': {
      setDefault(root, 'type', 'Opaque')
      // stringData is write-only: the server folds it into data (base64), its keys winning.
      if (isPlainObject(root.stringData)) {
        const data = obj(root, 'data')
        for (const [key, value] of Object.entries(root.stringData)) data[key] = Buffer.from(String(value), 'utf8').toString('base64')
        delete root.stringData
      }
      break
    }
  }
}
