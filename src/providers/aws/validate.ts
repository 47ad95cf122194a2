import type {EnvironmentSpec} from '../../config/types.js'
import {UsageError, oneOf} from '../../errors.js'
import type {AwsRegionClients} from './clients.js'
import {awsFailure, awsMessage, isAwsError, isMissingCredentials, noCredentialsError} from './errors.js'
import {checkDistinctRegions} from '../naming.js'
import {AWS_REGION_PATTERN, KNOWN_AWS_REGIONS, partitionOf} from './names.js'
import {silenceNodeVersionWarning} from './sdk-warning.js'

/** Checks that need no AWS call: region shapes, a distinct secondary. */
export function checkAwsRegions(env: EnvironmentSpec): void {
  for (const [flag, region] of [['--region', env.regions.primary], ['--secondary-region', env.regions.secondary]] as const) {
    if (region !== undefined && !AWS_REGION_PATTERN.test(region)) {
      throw new UsageError(`${flag} "${region}" is not an AWS region name`, {hint: 'use a region such as us-east-1 or eu-west-1'})
    }
  }
  checkDistinctRegions(env.regions)
}

/**
 * The region validation calls go to. Asking a region that does not exist would fail with a DNS
 * error instead of a clear answer, so an unknown region is checked from its partition's main one.
 */
export function validationRegion(primary: string): string {
  if ((KNOWN_AWS_REGIONS as readonly string[]).includes(primary)) return primary
  const partition = partitionOf(primary)
  if (partition === 'aws-cn') return 'cn-north-1'
  if (partition === 'aws-us-gov') return 'us-gov-west-1'
  return 'us-east-1'
}

/** Credentials work (STS GetCallerIdentity); returns the account's ARN. */
export async function checkAwsCredentials(clients: AwsRegionClients): Promise<string> {
  silenceNodeVersionWarning()
  const {GetCallerIdentityCommand} = await import('@aws-sdk/client-sts')
  try {
    const identity = await clients.sts.send(new GetCallerIdentityCommand({}))
    return identity.Arn ?? ''
  } catch (error) {
    if (isMissingCredentials(error)) throw noCredentialsError(error)
    if (isAwsError(error, 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'AccessDenied')) {
      throw new UsageError(`AWS rejected the credentials: ${awsMessage(error)}`, {
        hint: 'refresh them (aws sso login, or new AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), or pick another AWS_PROFILE',
        cause: error,
      })
    }
    throw awsFailure('checking credentials (sts:GetCallerIdentity)', error)
  }
}

/** The regions enabled for the account; the built-in list when the caller may not ask. */
export async function offeredRegions(clients: AwsRegionClients): Promise<string[]> {
  try {
    const answer = await clients.ec2.send(new clients.sdk.ec2.DescribeRegionsCommand({}))
    return (answer.Regions ?? []).map((region) => region.RegionName!).filter(Boolean).sort()
  } catch (error) {
    if (isAwsError(error, 'UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException')) return [...KNOWN_AWS_REGIONS]
    if (isMissingCredentials(error)) throw noCredentialsError(error)
    throw awsFailure('listing regions (ec2:DescribeRegions)', error)
  }
}

export function checkRegionOffered(env: EnvironmentSpec, offered: string[]): void {
  for (const [flag, region] of [['--region', env.regions.primary], ['--secondary-region', env.regions.secondary]] as const) {
    if (region !== undefined && !offered.includes(region)) {
      throw new UsageError(`${flag} "${region}" is not an AWS region available to this account`, {hint: oneOf(offered)})
    }
  }
}
