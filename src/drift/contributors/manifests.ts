import {scaleForDisasterRecovery} from '../../env/dr-scale.js'
import {LABEL_NAME} from '../../render/labels.js'
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
    const rendered = await renderEnvironment({catalog, env})
    const services = new Set(Object.keys(rendered.byService))
    const out: DesiredObject[] = []
    for (const region of allRegions) {
      const full = region === record.activeRegion
      for (const object of rendered.baseline) {
        const owner = object.metadata.labels?.[LABEL_NAME]
        out.push({region, object, area: 'manifests', ...(owner && services.has(owner) ? {service: owner} : {})})
      }
      for (const [service, objects] of Object.entries(rendered.byService)) {
        for (const object of full ? objects : scaleForDisasterRecovery(objects, env.drMode)) out.push({region, object, service, area: 'manifests'})
      }
    }
    return out
  },
}
