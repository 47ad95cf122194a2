import {scaleForDisasterRecovery} from '../../env/dr-scale.js'
import {activeRegionOf, regionScale} from '../../env/plan.js'
import {LABEL_NAME, objectsForRegion} from '../../render/labels.js'
import {renderEnvironment} from '../../render/render-environment.js'
import type {DesiredObject, DesiredStateContributor} from '../desired-state.js'

/**
 * The rendered manifests: every service at the recorded version, and the baseline, in every
 * region. The active region (the record's, which a failover moves) runs at full scale; any other
 * region at the environment's disaster-recovery scale (src/env/dr-scale.ts), as `env create` and
 * a failover leave it.
 */
export const manifestsContributor: DesiredStateContributor = {
  area: 'manifests',
  async contribute({record, env, catalog, allRegions}) {
    const active = activeRegionOf(env, record.activeRegion)
    const rendered = await renderEnvironment({catalog, env, activeRegion: active})
    const services = new Set(Object.keys(rendered.byService))
    const out: DesiredObject[] = []
    for (const region of allRegions) {
      // Sized and filtered exactly as env create applies it (src/env/plan.ts).
      const scale = regionScale(env, region, active)
      for (const object of objectsForRegion(rendered.baseline, region)) {
        const owner = object.metadata.labels?.[LABEL_NAME]
        out.push({region, object, area: 'manifests', ...(owner && services.has(owner) ? {service: owner} : {})})
      }
      for (const [service, objects] of Object.entries(rendered.byService)) {
        const own = objectsForRegion(objects, region)
        for (const object of scale === 'full' ? own : scaleForDisasterRecovery(own, scale)) out.push({region, object, service, area: 'manifests'})
      }
    }
    return out
  },
}
