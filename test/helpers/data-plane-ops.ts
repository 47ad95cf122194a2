
import {type ContentHashes, hashCollections} from '../../src/formats/content-hash/content-hash.js'
import type {KubeObject} from '../../src/kube/types.js'
import type {DataPlane} from '../../src/local-cluster/data-plane/data-plane.js'
import type {ReplicaSet} from '../../src/local-cluster/data-plane/state.js'
import {NAMESPACE, toYaml} from './data-plane.js'
import {runKubectl} from './kubectl.js'
import {bsonOf} from '../../src/local-cluster/data-plane/stored-document.js'

/**
 * What the integration tests of database and backup Jobs do to one local cluster through real
 * kubectl: apply objects, wait for a condition, wait for a Job's outcome. `kubeconfig` is read on
 * each call (tests set it in beforeAll).
 */
export function kubectlOps(kubeconfig: () => string) {
  const kubectl = (...args: string[]) => runKubectl(args, {kubeconfig: kubeconfig()})
  const apply = async (objects: KubeObject[]): Promise<void> => {
    const applied = await runKubectl(['apply', '-f', '-'], {kubeconfig: kubeconfig(), input: toYaml(objects)})
    if (applied.exitCode !== 0) throw new Error(applied.stderr)
  }
  const until = async <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = await check()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  /** Complete or Failed; a failed Job's logs (every container) are handed to `onFailed`. */
  const jobOutcome = async (job: string, onFailed?: (log: string) => void, namespace = NAMESPACE): Promise<'Complete' | 'Failed'> =>
    until(`job ${job} to finish`, async () => {
      const phase = await kubectl('get', 'job', job, '-n', namespace, '-o', 'jsonpath={.status.conditions[*].type}')
      if (/Complete/.test(phase.stdout)) return 'Complete' as const
      if (!/Failed/.test(phase.stdout)) return undefined
      if (onFailed) {
        const log = await kubectl('logs', `job/${job}`, '-n', namespace, '--all-containers')
        onFailed(log.stdout + log.stderr)
      }
      return 'Failed' as const
    })
  return {kubectl, apply, until, jobOutcome}
}

/** The simulated replica set of that name. */
export const setNamed = (dataPlane: DataPlane, name: string): ReplicaSet | undefined => [...dataPlane.engine.sets.values()].find((s) => s.name === name)

/** A simulated set's documents, by collection. */
export const documentsOf = (set: ReplicaSet): Record<string, Map<string, string>> => Object.fromEntries(set.data.names().map((name) => [name, new Map(set.data.entries(name))]))

/** The catalog's content hashes of a simulated set's documents (as BSON, the way the archive holds them). */
export const hashesOf = (set: ReplicaSet): ContentHashes =>
  hashCollections(set.data.names().map((name) => ({ns: `${set.database}.${name}`, documents: [...set.data.entries(name)].map(([, stored]) => bsonOf(stored))})))
