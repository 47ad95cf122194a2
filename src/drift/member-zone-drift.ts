import type {ServiceDescriptor} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {memberServices} from '../env/member-names.js'
import {MEMBER_ZONE_DOMAIN, fqdn, needsMemberZone, openMemberZone, type MemberRecord, type MemberZone, type OpenMemberZoneOptions} from '../providers/member-names.js'
import type {InfrastructureDrift} from './infrastructure.js'

/**
 * The member names' private zone in `env diff`'s infrastructure part (two regions on aws or gcp):
 * the zone present, and one record per member of the topology, no more. Pure compare plus one
 * read. The records' targets are not compared: they are the member Services' load-balancer
 * addresses, which live in the clusters (a re-run of `env create` rewrites them).
 *
 * @example zone with billing-db-r1-0 only, topology billing-db-r1-0 and billing-db-r2-0:
 *   private zone mygate-data.svc.clusterset.local  record billing-db-r2-0: present <- missing
 */
export function compareMemberZone(region: string, expected: string[], records: MemberRecord[] | undefined): InfrastructureDrift[] {
  const resource = `private zone ${MEMBER_ZONE_DOMAIN}`
  if (!records) return [{region, resource, field: '(zone)', desired: 'present', live: 'missing'}]
  const held = new Set(records.map((r) => r.name))
  const wanted = new Set(expected.map((service) => fqdn(`${service}.${MEMBER_ZONE_DOMAIN}`)))
  const out: InfrastructureDrift[] = []
  for (const service of expected) if (!held.has(fqdn(`${service}.${MEMBER_ZONE_DOMAIN}`))) out.push({region, resource, field: `record ${service}`, desired: 'present', live: 'missing'})
  for (const record of records) if (!wanted.has(record.name)) out.push({region, resource, field: `record ${record.name.replace(`.${MEMBER_ZONE_DOMAIN}.`, '')}`, desired: 'absent', live: `${record.type} ${record.value}`})
  return out
}

export async function memberZoneDrift(
  spec: EnvironmentSpec,
  options: {services: readonly ServiceDescriptor[]; zoneOptions?: OpenMemberZoneOptions; openZone?: (env: EnvironmentSpec) => Promise<MemberZone>},
): Promise<InfrastructureDrift[]> {
  if (!needsMemberZone(spec)) return []
  const zone = await (options.openZone ?? ((env) => openMemberZone(env, options.zoneOptions)))(spec)
  try {
    return compareMemberZone(spec.regions.primary, memberServices(spec, options.services).map((m) => m.service), await zone.read())
  } finally {
    await zone.close()
  }
}
