import type {Route53Client} from '@aws-sdk/client-route-53'

import type {EnvironmentSpec} from '../../config/types.js'
import {ConflictError, MygateError, NotFoundError, TimeoutError} from '../../errors.js'
import {
  MEMBER_RECORD_TTL_SECONDS,
  MEMBER_ZONE_DOMAIN,
  fqdn,
  memberRecord,
  memberZoneDescription,
  planMemberRecordChanges,
  type MemberAddress,
  type MemberRecord,
  type MemberZone,
  type MemberZoneResult,
} from '../member-names.js'
import {environmentRegions} from '../naming.js'
import {type AwsClientConfig, DEFAULT_MAX_ATTEMPTS, createRegionClients, destroyRegionClients} from './clients.js'
import {awsFailure, isAwsError, isMissingCredentials, noCredentialsError} from './errors.js'
import {TAG, tagList} from './names.js'
import {usesOwnNetwork} from './plan.js'
import {silenceNodeVersionWarning} from './sdk-warning.js'

/**
 * The replica-set member names of a two-region environment on AWS (src/providers/member-names.ts):
 * a Route 53 private hosted zone for `mygate-data.svc.clusterset.local`, associated with the VPCs
 * of both regions, one record per member pointing at its internal NLB (a CNAME to the NLB's name).
 *
 * Why this resolves from the pods: EKS's CoreDNS answers `cluster.local` itself and forwards every
 * other name to the node's resolver (`forward . /etc/resolv.conf` in the EKS Corefile), which is
 * the Amazon-provided DNS server of the VPC (Route 53 Resolver, the VPC range base + 2); it answers
 * the private hosted zones associated with the VPC, provided the VPC has `enableDnsSupport` and
 * `enableDnsHostnames` on (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-considerations.html;
 * mygate's VPCs have both, network.ts). A private hosted zone is created with one VPC and may then
 * be associated with more, in any region of the partition
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-associate-vpcs.html).
 *
 * Ownership: several environments may each have a zone of this name (Route 53 allows private
 * zones of one name as long as no VPC is associated with two of them); mygate finds its own by the
 * zone comment ({@link memberZoneDescription}) and tags it with the environment.
 */

type Route53Module = typeof import('@aws-sdk/client-route-53')

export interface Route53MemberZoneOptions {
  config?: AwsClientConfig
  /** How long to wait for a change to be INSYNC (default 5 minutes). */
  syncTimeoutMs?: number
}

interface Zone {
  id: string
  vpcs: Array<{VPCId: string; VPCRegion: string}>
}

export async function openRoute53MemberZone(env: EnvironmentSpec, options: Route53MemberZoneOptions = {}): Promise<MemberZone> {
  silenceNodeVersionWarning()
  const sdk: Route53Module = await import('@aws-sdk/client-route-53')
  // Route 53 is a global service signed in us-east-1.
  const client: Route53Client = new sdk.Route53Client({maxAttempts: DEFAULT_MAX_ATTEMPTS, ...options.config, region: 'us-east-1'})
  const domain = fqdn(MEMBER_ZONE_DOMAIN)
  const comment = memberZoneDescription(env.name)

  const call = async <T>(action: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run()
    } catch (error) {
      if (error instanceof MygateError) throw error
      if (isMissingCredentials(error)) throw noCredentialsError(error)
      throw awsFailure(`Route 53 ${action}`, error)
    }
  }

  /** The environment's VPC in every region: the tagged one mygate made, or the named subnets' VPC. */
  const environmentVpcs = async (): Promise<Array<{VPCId: string; VPCRegion: string}>> => {
    const found: Array<{VPCId: string; VPCRegion: string}> = []
    for (const {region, role} of environmentRegions(env)) {
      const clients = await createRegionClients(region, options.config)
      try {
        const {ec2, sdk: modules} = clients
        const vpcId = await call(`finding the VPC of ${region}`, async () => {
          if (!usesOwnNetwork(env, role)) {
            const subnets = await ec2.send(new modules.ec2.DescribeSubnetsCommand({SubnetIds: env.aws!.subnetIds!}))
            return subnets.Subnets?.[0]?.VpcId
          }
          const vpcs = await ec2.send(
            new modules.ec2.DescribeVpcsCommand({
              Filters: [
                {Name: `tag:${TAG.environment}`, Values: [env.name]},
                {Name: `tag:${TAG.region}`, Values: [region]},
                {Name: `tag:${TAG.component}`, Values: ['vpc']},
              ],
            }),
          )
          return vpcs.Vpcs?.[0]?.VpcId
        })
        if (!vpcId) {
          throw new NotFoundError(`environment ${env.name} has no VPC in ${region} for the member names' private zone`, {
            hint: `run \`mygate env create ${env.name}\` to create its network first`,
          })
        }
        found.push({VPCId: vpcId, VPCRegion: region})
      } finally {
        destroyRegionClients(clients)
      }
    }
    return found
  }

  const findZone = async (): Promise<Zone | undefined> => {
    let dnsName: string | undefined = domain
    let zoneId: string | undefined
    for (;;) {
      const page = await call('ListHostedZonesByName', () => client.send(new sdk.ListHostedZonesByNameCommand({DNSName: dnsName, HostedZoneId: zoneId, MaxItems: 100})))
      const mine = (page.HostedZones ?? []).find((zone) => zone.Name === domain && zone.Config?.PrivateZone && zone.Config.Comment === comment)
      if (mine?.Id) {
        const id = mine.Id.replace('/hostedzone/', '')
        const detail = await call('GetHostedZone', () => client.send(new sdk.GetHostedZoneCommand({Id: id})))
        return {id, vpcs: (detail.VPCs ?? []).map((vpc) => ({VPCId: String(vpc.VPCId), VPCRegion: String(vpc.VPCRegion)}))}
      }
      // Listed by name: once past our domain, there is no zone of ours.
      const pastDomain = (page.HostedZones ?? []).some((zone) => zone.Name !== domain)
      if (!page.IsTruncated || pastDomain) return undefined
      dnsName = page.NextDNSName
      zoneId = page.NextHostedZoneId
    }
  }

  const waitInSync = async (changeId: string | undefined) => {
    if (!changeId) return
    const timeoutMs = options.syncTimeoutMs ?? 300_000
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const change = await call('GetChange', () => client.send(new sdk.GetChangeCommand({Id: changeId})))
      if (change.ChangeInfo?.Status === 'INSYNC') return
      if (Date.now() >= deadline) {
        throw new TimeoutError(`Route 53 change ${changeId} of the member names is not INSYNC after ${Math.round(timeoutMs / 1000)}s`, {
          hint: `see \`aws route53 get-change --id ${changeId}\`, then re-run \`mygate env create ${env.name}\``,
        })
      }
      await new Promise((resolve) => setTimeout(resolve, 2000))
    }
  }

  const ensureZone = async (): Promise<{zone: Zone; created: boolean}> => {
    const vpcs = await environmentVpcs()
    let zone = await findZone()
    let created = false
    if (!zone) {
      const answer = await call('CreateHostedZone', () =>
        client.send(
          new sdk.CreateHostedZoneCommand({
            Name: domain,
            // Unique per request, as Route 53 asks; a re-run finds the zone by its comment instead.
            CallerReference: `mygate-${env.name}-members-${Date.now()}`,
            VPC: vpcs[0] as never,
            HostedZoneConfig: {Comment: comment, PrivateZone: true},
          }),
        ),
      )
      const id = String(answer.HostedZone?.Id).replace('/hostedzone/', '')
      await call('ChangeTagsForResource', () =>
        client.send(
          new sdk.ChangeTagsForResourceCommand({
            ResourceType: 'hostedzone',
            ResourceId: id,
            AddTags: tagList({Name: `mygate-${env.name}-members`, [TAG.environment]: env.name, [TAG.managedBy]: 'mygate', [TAG.component]: 'member-names'}),
          }),
        ),
      )
      zone = {id, vpcs: [vpcs[0]]}
      created = true
    }
    for (const vpc of vpcs) {
      if (zone.vpcs.some((associated) => associated.VPCId === vpc.VPCId)) continue
      try {
        const answer = await client.send(new sdk.AssociateVPCWithHostedZoneCommand({HostedZoneId: zone.id, VPC: vpc as never, Comment: comment}))
        await waitInSync(answer.ChangeInfo?.Id)
      } catch (error) {
        if (isAwsError(error, 'ConflictingDomainExists')) {
          throw new ConflictError(`VPC ${vpc.VPCId} (${vpc.VPCRegion}) is already associated with another private zone for ${MEMBER_ZONE_DOMAIN}`, {
            hint: 'another environment shares this VPC; give each environment its own network',
            cause: error,
          })
        }
        throw awsFailure('Route 53 AssociateVPCWithHostedZone', error)
      }
      zone.vpcs.push(vpc)
    }
    return {zone, created}
  }

  const readRecords = async (zoneId: string): Promise<MemberRecord[]> => {
    const records: MemberRecord[] = []
    let start: {name?: string; type?: string} = {}
    for (;;) {
      const page = await call('ListResourceRecordSets', () =>
        client.send(new sdk.ListResourceRecordSetsCommand({HostedZoneId: zoneId, StartRecordName: start.name, StartRecordType: start.type as never, MaxItems: 300})),
      )
      for (const set of page.ResourceRecordSets ?? []) {
        if (set.Type !== 'A' && set.Type !== 'CNAME') continue
        records.push({name: String(set.Name), type: set.Type, value: String(set.ResourceRecords?.[0]?.Value ?? '')})
      }
      if (!page.IsTruncated) return records
      start = {name: page.NextRecordName, type: page.NextRecordType}
    }
  }

  const change = async (zoneId: string, changes: Array<{Action: 'UPSERT' | 'DELETE'; record: MemberRecord}>) => {
    if (changes.length === 0) return
    const answer = await call('ChangeResourceRecordSets', () =>
      client.send(
        new sdk.ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Comment: `mygate: member names of ${env.name}`,
            Changes: changes.map(({Action, record}) => ({
              Action,
              ResourceRecordSet: {Name: record.name, Type: record.type, TTL: MEMBER_RECORD_TTL_SECONDS, ResourceRecords: [{Value: record.value}]},
            })),
          },
        }),
      ),
    )
    await waitInSync(answer.ChangeInfo?.Id)
  }

  return {
    async ensure(addresses: MemberAddress[]): Promise<MemberZoneResult> {
      const {zone, created} = await ensureZone()
      const desired = addresses.map(memberRecord)
      const existing = await readRecords(zone.id)
      const planned = planMemberRecordChanges(desired, existing)
      // A DELETE must name the record exactly as it is; both kinds go in one atomic batch.
      await change(zone.id, [...planned.remove.map((record) => ({Action: 'DELETE' as const, record})), ...planned.upsert.map((record) => ({Action: 'UPSERT' as const, record}))])
      return {zone: zone.id, domain: MEMBER_ZONE_DOMAIN, created, changed: [...new Set([...planned.remove, ...planned.upsert].map((r) => r.name))], records: desired}
    },
    async read() {
      const zone = await findZone()
      return zone ? readRecords(zone.id) : undefined
    },
    async remove() {
      const zone = await findZone()
      if (!zone) return []
      const records = await readRecords(zone.id)
      await change(zone.id, records.map((record) => ({Action: 'DELETE' as const, record})))
      await call('DeleteHostedZone', () => client.send(new sdk.DeleteHostedZoneCommand({Id: zone.id})))
      return [`Route 53 private zone ${MEMBER_ZONE_DOMAIN} (${zone.id}) with ${records.length} member record${records.length === 1 ? '' : 's'}`]
    },
    close: async () => client.destroy(),
  }
}
