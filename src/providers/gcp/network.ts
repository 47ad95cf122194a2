import {ConflictError} from '../../errors.js'
import type {DestroyReport, Progress} from '../types.js'
import {type NetworkPlan, POD_RANGE_NAME, SERVICE_RANGE_NAME, type SubnetworkPlan, ownershipDescription} from './address-plan.js'
import type {ComputeClient} from './compute.js'

/**
 * The VPC network both GKE clusters of an environment share, and its address plan.
 *
 * A GCP VPC network is global: subnetworks in different regions of one network reach each other
 * through the network's subnet routes, with no peering and no extra route. So both regions'
 * clusters go on one custom-mode network (`mygate-ENV`, or the environment's gcp.network), each on
 * its own subnetwork (`mygate-ENV-LOCATION`) with two secondary ranges, as a VPC-native cluster
 * needs (ipAllocationPolicy: `pods`, `services`). No range overlaps another, in either region
 * (constants in address-plan.ts):
 *
 *   role        subnetwork (nodes)   pods (secondary)   services (secondary)
 *   primary     10.10.0.0/20         10.64.0.0/14       10.10.16.0/20
 *   secondary   10.20.0.0/20         10.80.0.0/14       10.20.16.0/20
 *
 * Everything lies inside 10.0.0.0/9, clear of the 10.128.0.0/9 that auto-mode networks give their
 * subnetworks, so a named auto-mode network can take them too. A /14 of Pod addresses is GKE's
 * default size (up to 1,024 nodes at 110 Pods each); a /20 of Services gives 4,096.
 *
 * Firewall: mygate creates no rule. Each member's internal passthrough load balancer (global
 * access, see load-balancer.ts) gets its firewall rules from GKE, which allows the Service's
 * `loadBalancerSourceRanges` (all sources when unset) and the Google health-check ranges, and
 * passes packets with the client's own address, so the other region's Pods reach the members
 * without any rule of ours. GKE also creates the rules its clusters need inside the network.
 *
 * Ownership: networks and subnetworks carry no labels, so mygate writes `mygate environment ENV`
 * in their description, and deletes only what has it; a named network (gcp.network) is never deleted.
 */

interface ComputeNetwork {
  name?: string
  description?: string
  autoCreateSubnetworks?: boolean
}

interface ComputeSubnetwork {
  name?: string
  description?: string
  network?: string
  ipCidrRange?: string
  secondaryIpRanges?: Array<{rangeName?: string; ipCidrRange?: string}>
}

export interface NetworkContext {
  compute: ComputeClient
  project: string
  envName: string
  progress: Progress
}

const networkPath = (name: string) => `global/networks/${name}`
const subnetworkPath = (subnetwork: SubnetworkPlan) => `regions/${subnetwork.region}/subnetworks/${subnetwork.name}`

/** The body of a subnetwork insert: pure, so a test can compare it with the plan. */
export function subnetworkRequest(ctx: {project: string; envName: string}, network: string, subnetwork: SubnetworkPlan): ComputeSubnetwork & Record<string, unknown> {
  return {
    name: subnetwork.name,
    description: ownershipDescription(ctx.envName),
    network: `projects/${ctx.project}/global/networks/${network}`,
    ipCidrRange: subnetwork.ranges.nodes,
    // Nodes without external addresses still reach Google APIs (image pulls from Artifact Registry).
    privateIpGoogleAccess: true,
    secondaryIpRanges: [
      {rangeName: POD_RANGE_NAME, ipCidrRange: subnetwork.ranges.pods},
      {rangeName: SERVICE_RANGE_NAME, ipCidrRange: subnetwork.ranges.services},
    ],
  }
}

/** Creates the network (when mygate owns it) and each region's subnetwork unless they exist. */
export async function ensureGcpNetwork(ctx: NetworkContext, plan: NetworkPlan): Promise<void> {
  const existing = await ctx.compute.get<ComputeNetwork>(networkPath(plan.name), `reading network ${plan.name}`)
  if (!existing) {
    if (!plan.ownedByMygate) {
      throw new ConflictError(`network ${plan.name} (gcp.network) does not exist in project ${ctx.project}`, {
        hint: `create it (gcloud compute networks create ${plan.name} --subnet-mode=custom) or remove gcp.network so mygate makes one`,
      })
    }
    await ctx.compute.insert(
      'global/networks',
      {name: plan.name, description: ownershipDescription(ctx.envName), autoCreateSubnetworks: false},
      `creating network ${plan.name}`,
    )
    ctx.progress.update(`created VPC network ${plan.name} (custom subnets, shared by the environment's regions)`)
  } else if (plan.ownedByMygate && existing.description !== ownershipDescription(ctx.envName)) {
    throw new ConflictError(`network ${plan.name} exists in project ${ctx.project} but mygate did not make it for environment ${ctx.envName}`, {
      hint: 'name it in gcp.network to use it deliberately, or use another environment name',
    })
  }

  await Promise.all(
    plan.subnetworks.map(async (subnetwork) => {
      const found = await ctx.compute.get<ComputeSubnetwork>(subnetworkPath(subnetwork), `reading subnetwork ${subnetwork.name}`)
      if (found) {
        // An existing subnetwork keeps its ranges (read, never assumed); the cluster needs its two secondary ranges by name.
        const names = new Set((found.secondaryIpRanges ?? []).map((range) => range.rangeName))
        if (!names.has(POD_RANGE_NAME) || !names.has(SERVICE_RANGE_NAME)) {
          throw new ConflictError(`subnetwork ${subnetwork.name} in ${subnetwork.region} has no secondary ranges named ${POD_RANGE_NAME} and ${SERVICE_RANGE_NAME}`, {
            hint: `delete the subnetwork (gcloud compute networks subnets delete ${subnetwork.name} --region ${subnetwork.region}) and re-run`,
          })
        }
        return
      }
      await ctx.compute.insert(`regions/${subnetwork.region}/subnetworks`, subnetworkRequest(ctx, plan.name, subnetwork), `creating subnetwork ${subnetwork.name}`)
      ctx.progress.update(
        `${subnetwork.location}: created subnetwork ${subnetwork.name} (nodes ${subnetwork.ranges.nodes}, pods ${subnetwork.ranges.pods}, services ${subnetwork.ranges.services})`,
      )
    }),
  )
}

/**
 * Deletes the subnetworks of the locations whose clusters are gone, then the network once no
 * subnetwork of ours is left and mygate made it. Failures are reported, not thrown.
 */
export async function destroyGcpNetwork(ctx: NetworkContext, plan: NetworkPlan, clustersGone: Set<string>, report: DestroyReport): Promise<void> {
  let remaining = 0
  for (const subnetwork of plan.subnetworks) {
    const resource = `subnetwork ${subnetwork.name} (${subnetwork.region})`
    try {
      const found = await ctx.compute.get<ComputeSubnetwork>(subnetworkPath(subnetwork), `reading subnetwork ${subnetwork.name}`)
      if (!found) continue
      if (found.description !== ownershipDescription(ctx.envName)) {
        remaining++
        report.leftBehind.push({resource, reason: `its description is not "${ownershipDescription(ctx.envName)}", so mygate did not create it`})
        continue
      }
      if (!clustersGone.has(subnetwork.location)) {
        remaining++
        report.leftBehind.push({resource, reason: 'kept because its cluster still exists'})
        continue
      }
      if (await ctx.compute.remove(subnetworkPath(subnetwork), `deleting subnetwork ${subnetwork.name}`)) {
        report.removed.push(resource)
        ctx.progress.update(`${subnetwork.location}: deleted ${resource}`)
      }
    } catch (error) {
      remaining++
      report.leftBehind.push({resource, reason: error instanceof Error ? error.message : String(error)})
    }
  }
  if (!plan.ownedByMygate || remaining > 0) return

  const resource = `VPC network ${plan.name}`
  try {
    const found = await ctx.compute.get<ComputeNetwork>(networkPath(plan.name), `reading network ${plan.name}`)
    if (!found || found.description !== ownershipDescription(ctx.envName)) return
    if (await ctx.compute.remove(networkPath(plan.name), `deleting network ${plan.name}`)) {
      report.removed.push(resource)
      ctx.progress.update(`deleted ${resource}`)
    }
  } catch (error) {
    report.leftBehind.push({resource, reason: error instanceof Error ? error.message : String(error)})
  }
}
