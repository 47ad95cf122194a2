import type {KubeClient} from './client.js'

/**
 * The part of KubeClient the rollout I/O layer uses. The real client satisfies it; unit tests
 * pass a small in-memory fake with the same semantics (resourceVersion conflicts, watches).
 */
export type RolloutKube = Pick<
  KubeClient,
  'get' | 'list' | 'create' | 'replace' | 'apply' | 'mergePatch' | 'delete' | 'watch' | 'pathFor' | 'request' | 'raw' | 'requestCount'
>
