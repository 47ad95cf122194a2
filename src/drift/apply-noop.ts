import {fieldsOf, valueAt} from '../local-cluster/api-server/ssa/field-set.js'
import {deepEqual} from '../local-cluster/store/object-utils.js'
import {FIELD_MANAGER, type KubeObject} from '../kube/types.js'
import {leafPaths, managedFieldsOf} from './field-owners.js'

/**
 * Pure: would a server-side apply of `desired` by mygate leave `live` exactly as it is? True
 * when every value the desired object sets is already the live value, literally, and mygate's
 * last apply set exactly the same fields (so nothing would be pruned). Then the dry-run's answer
 * is known without asking: the live object itself. Anything short of literal equality (a quantity
 * written another way, a field the server would default) is left to the real dry-run, so this
 * never decides "no difference" where the API server could disagree. It is what keeps a diff of
 * a mostly unchanged environment at about one request per object.
 */
export function applyChangesNothing(desired: KubeObject, live: KubeObject): boolean {
  const fields = fieldsOf(desired as Record<string, unknown>, {skipStatus: true})
  const applied = managedFieldsOf(live).find((entry) => entry.manager === FIELD_MANAGER && entry.operation === 'Apply' && !entry.subresource)
  if (!applied || !deepEqual(applied.fieldsV1, fields)) return false
  return leafPaths(fields).every((path) => deepEqual(valueAt(desired, path), valueAt(live, path)))
}
