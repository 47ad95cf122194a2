import {DATA_NAMESPACE} from '../../backup/jobs/job-values.js'
import {SCHEDULE_LABEL} from '../../backup/schedule/backup-cronjobs.js'
import {setServiceReads} from '../../backup/restore/live-set.js'
import {decodeRestoreRun, RESTORE_RUN_LABEL} from '../../backup/restore/restore-store.js'
import {desiredBackupCronJobs, overridesOnCronJobs} from '../../backup/schedule/reconcile-schedules.js'
import {NAMESPACES} from '../../config/types.js'
import type {KubeObject} from '../../kube/types.js'
import type {DesiredObject, DesiredStateContributor} from '../desired-state.js'

/**
 * The backup CronJobs (base backups and oplog slices) as `env create` and a failover put them: in
 * the record's active region only, on the descriptors' schedules with the overrides `backup
 * schedule --set` recorded on the CronJobs themselves (an override is a decision, not drift; any
 * other hand change to a CronJob is). Only where `env create` makes them (the local provider, the
 * one whose backup store is wired). After a restore's switch they read the restored set (the
 * service's restore run, in mygate-system of the active region, says which).
 */
export const backupSchedulesContributor: DesiredStateContributor = {
  area: 'backups',
  async contribute({record, catalog, allRegions, live}) {
    if (record.provider !== 'local') return []
    const listed = new Map<string, KubeObject[]>()
    for (const region of allRegions) {
      const items = (await live.get(region)?.list('batch/v1', 'CronJob', DATA_NAMESPACE)) ?? []
      listed.set(region, items.filter((item) => (item.metadata.labels as Record<string, string> | undefined)?.[SCHEDULE_LABEL] !== undefined))
    }
    const liveSets = new Map<string, string>()
    for (const configMap of (await live.get(record.activeRegion)?.list('v1', 'ConfigMap', NAMESPACES.system)) ?? []) {
      if ((configMap.metadata.labels as Record<string, string> | undefined)?.[RESTORE_RUN_LABEL] === undefined) continue
      const run = decodeRestoreRun(configMap)
      liveSets.set(run.request.database, setServiceReads(run, run.request.database))
    }
    const {cronJobs} = desiredBackupCronJobs(record, catalog, overridesOnCronJobs(listed, record.activeRegion), liveSets)
    return cronJobs.map((object): DesiredObject => {
      const service = (object.metadata.labels as Record<string, string> | undefined)?.['mygate.dev/service']
      return {region: record.activeRegion, object, area: 'backups', ...(service ? {service} : {})}
    })
  },
}
