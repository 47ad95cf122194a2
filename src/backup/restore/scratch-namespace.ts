import {setTimeout as sleep} from 'node:timers/promises'

import {TimeoutError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'
import type {KubeObject} from '../../kube/types.js'

/**
 * A namespace of its own for a throw-away restore (`backup verify`): the restored set, its Secrets
 * and Jobs live there and go with it in one delete. Pod Security as mygate-data's
 * (manifests/per-namespace/namespace.yaml: `restricted`, enforced, audited and warned), so the
 * restored set runs under the same admission rules as the live one.
 */

export const LABEL_PURPOSE = 'mygate.dev/purpose'

/** `mygate-verify-a1b2c3`: the backup id's random suffix (ids end in 6 hex digits). */
export function verifyNamespaceName(backupId: string): string {
  const suffix = backupId.toLowerCase().split('-').at(-1) ?? ''
  return `mygate-verify-${/^[a-z0-9]{1,20}$/.test(suffix) ? suffix : 'scratch'}`
}

export function scratchNamespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/audit-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/warn-version': 'latest',
        'app.kubernetes.io/managed-by': 'mygate',
        ...labels,
      },
    },
  }
}

/** Deletes the namespace and waits until it is gone (its contents are deleted with it). */
export async function deleteScratchNamespace(client: KubeApi, name: string, options: {timeoutMs?: number; pollMs?: number} = {}): Promise<void> {
  await client.delete({apiVersion: 'v1', kind: 'Namespace', name}, {propagationPolicy: 'Background'})
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  while (await client.get('v1', 'Namespace', name)) {
    if (Date.now() > deadline) throw new TimeoutError(`namespace ${name} is still terminating`, {hint: `check \`kubectl get namespace ${name} -o yaml\` (finalizers) and delete it by hand`})
    await sleep(options.pollMs ?? 200)
  }
}
