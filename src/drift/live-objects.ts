import {NotFoundError} from '../errors.js'
import {KindNotServedError} from '../kube/api-error.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'

/**
 * The live objects of one region, read in batches: one list per kind and namespace (cluster-wide
 * for cluster-scoped kinds), each made once and shared by every part of the diff (the desired
 * state's contributors read Secrets and rollout records through it too). That keeps a diff at one
 * list per kind and namespace plus one dry-run per object (the bench counts it).
 */
export class LiveObjects {
  private readonly lists = new Map<string, Promise<KubeObject[] | undefined>>()

  constructor(
    readonly region: string,
    readonly client: KubeApi,
  ) {}

  /** The objects of a kind in a namespace; undefined when the cluster does not serve the kind. */
  list(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[] | undefined> {
    const key = `${apiVersion}|${kind}|${namespace ?? ''}`
    let found = this.lists.get(key)
    if (!found) {
      found = this.fetch(apiVersion, kind, namespace)
      this.lists.set(key, found)
    }
    return found
  }

  /** One object, found through its kind's list. */
  async find(object: {apiVersion: string; kind: string; metadata: {name?: string; namespace?: string}}): Promise<KubeObject | undefined> {
    const namespace = (await this.namespaced(object.apiVersion, object.kind)) ? object.metadata.namespace : undefined
    const items = await this.list(object.apiVersion, object.kind, namespace)
    return items?.find((item) => item.metadata.name === object.metadata.name)
  }

  /** Whether the kind is namespaced; undefined when the cluster does not serve it. */
  async namespaced(apiVersion: string, kind: string): Promise<boolean | undefined> {
    try {
      return (await this.client.resourceFor(apiVersion, kind)).namespaced
    } catch (error) {
      if (error instanceof KindNotServedError) return undefined
      throw error
    }
  }

  private async fetch(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[] | undefined> {
    const namespaced = await this.namespaced(apiVersion, kind)
    if (namespaced === undefined) return undefined
    let list
    try {
      list = await this.client.list(apiVersion, kind, namespaced ? {namespace} : {})
    } catch (error) {
      // A 404 on a collection: the API server does not serve the resource after all.
      if (error instanceof NotFoundError) return undefined
      throw error
    }
    for (const item of list.items) {
      item.apiVersion = apiVersion
      item.kind = kind
    }
    return list.items
  }
}
