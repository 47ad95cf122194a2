import {FIELD_MANAGER} from '../../kube/types.js'
import {planSecrets} from '../../secrets/plan.js'
import {secretSpecs} from '../../secrets/secret-catalog.js'
import {type ObservedSecret, observeSecret, secretLabels} from '../../secrets/secret-object.js'
import {managedFieldsOf, ownersOf} from '../field-owners.js'
import type {DesiredObject, DesiredStateContributor} from '../desired-state.js'

/**
 * The Secrets the services read, as mygate wrote them: presence, keys and values (values are
 * compared, and only ever reported as a hash).
 *
 * mygate keeps no copy of a value, so "the value mygate wrote" is read from the clusters: the
 * copies whose key mygate still owns (managedFields). A copy someone changed by hand (`kubectl
 * edit secret`, `kubectl patch`) no longer belongs to mygate, so it is left out and the plan
 * (src/secrets/plan.ts, the same rules as `env create`) takes the value from the copies that do,
 * or rebuilds a derived value from its inputs. A generated key whose every copy was changed by
 * hand cannot be restored (no copy holds mygate's value): the live value is kept as desired, so
 * sync never invents a new key file or password that would lock the services out.
 */
export const secretsContributor: DesiredStateContributor = {
  area: 'secrets',
  async contribute({env, catalog, allRegions, live}) {
    const specs = secretSpecs(catalog)
    const names = new Set(specs.map((spec) => spec.name))
    const namespaces = [...new Set(specs.flatMap((spec) => spec.placements.map((p) => p.namespace)))].sort()
    const observed: ObservedSecret[] = []
    const trusted: ObservedSecret[] = []
    for (const region of allRegions) {
      const objects = live.get(region)
      if (!objects) continue
      for (const namespace of namespaces) {
        for (const item of (await objects.list('v1', 'Secret', namespace)) ?? []) {
          if (!names.has(String(item.metadata.name))) continue
          const copy = observeSecret(region, item)
          observed.push(copy)
          const entries = managedFieldsOf(item)
          const mine = Object.fromEntries(Object.entries(copy.data).filter(([key]) => ownersOf(entries, ['f:data', `f:${key}`])[0]?.manager === FIELD_MANAGER))
          trusted.push({...copy, data: mine})
        }
      }
    }
    const unrestorable = new Map<string, string>()
    const plan = planSecrets({
      specs,
      catalog,
      env,
      regions: allRegions,
      observed: trusted,
      labels: secretLabels(env.name),
      random: (generator) => {
        // Never a new value here: marked, then replaced by the live one below.
        const marker = `\u0000unrestorable:${generator}:${unrestorable.size}`
        unrestorable.set(Buffer.from(marker).toString('base64'), marker)
        return marker
      },
    })
    const out: DesiredObject[] = []
    for (const {region, object} of plan.objects) {
      const data = {...(object.data as Record<string, string>)}
      for (const [key, value] of Object.entries(data)) {
        if (!unrestorable.has(value)) continue
        const liveCopy = observed.find((o) => o.region === region && o.namespace === object.metadata.namespace && o.name === object.metadata.name)?.data[key]
        if (liveCopy === undefined) delete data[key]
        else data[key] = liveCopy
      }
      out.push({region, object: {...object, data}, area: 'secrets'})
    }
    return out
  },
}
