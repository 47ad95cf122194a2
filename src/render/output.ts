import {stringify} from 'yaml'

import type {KubeObject} from '../kube/types.js'

export type OutputFormat = 'yaml' | 'json'
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['yaml', 'json']

/**
 * Multi-document YAML (`---` between objects), for `kubectl apply -f -`. Values are emitted by
 * the YAML library, so a string with `: ` or newlines stays one quoted or block string.
 */
export function toYamlStream(objects: KubeObject[]): string {
  return objects
    .map((object) =>
      // No anchors/aliases for repeated values, no line folding of long strings (PromQL).
      stringify(object, {aliasDuplicateObjects: false, lineWidth: 0}),
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
