import {stringify} from 'yaml'

import type {KubeObject} from '../kube/types.js'

export type OutputFormat = 'yaml' | 'json'
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['yaml', 'json']

/**
 * Multi-document YAML (`---` between objects), for `kubectl apply -f -`. Values are emitted by
 * the YAML library, so a string with `: ` or newlines stays one quoted or block string. It is
 * written as YAML 1.1, the dialect kubectl and Go's YAML libraries read: strings such as `yes`,
 * `on`, `0755` or `1:20` are quoted, or kubectl would read them as booleans and numbers.
 */
export function toYamlStream(objects: KubeObject[]): string {
  return objects
    .map((object) =>
      // No anchors/aliases for repeated values, no line folding of long strings (PromQL).
      stringify(object, {aliasDuplicateObjects: false, lineWidth: 0, version: '1.1'}),
    )
    .join('---\n')
}

/** A `v1 List`, the JSON form kubectl accepts. */
export function toJsonList(objects: KubeObject[]): string {
  return `${JSON.stringify({apiVersion: 'v1', kind: 'List', items: objects}, null, 2)}\n`
}

export function formatObjects(objects: KubeObject[], format: OutputFormat): string {
  return format === 'json' ? toJsonList(objects) : toYamlStream(objects)
}
