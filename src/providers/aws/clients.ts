import type {EKSClient, EKSClientConfig} from '@aws-sdk/client-eks'
import type {EC2Client} from '@aws-sdk/client-ec2'
import type {IAMClient} from '@aws-sdk/client-iam'
import type {STSClient} from '@aws-sdk/client-sts'
import {silenceNodeVersionWarning} from './sdk-warning.js'

/**
 * The AWS SDK clients of one region. The SDK packages are imported here, lazily, so a command that
 * never touches AWS never pays for loading them.
 */

/** Client settings passed through to every SDK client (endpoint, credentials, retries...). */
export type AwsClientConfig = Pick<
  EKSClientConfig,
  'endpoint' | 'credentials' | 'maxAttempts' | 'retryMode' | 'retryStrategy' | 'requestHandler' | 'logger'
>

/**
 * Throttling and 5xx answers are retried by the SDK's standard retry strategy (exponential backoff
 * with jitter). Eight attempts ride out a short throttling burst during a create that makes dozens
 * of calls, without hiding a real outage for minutes.
 */
export const DEFAULT_MAX_ATTEMPTS = 8

export type EksModule = typeof import('@aws-sdk/client-eks')
export type Ec2Module = typeof import('@aws-sdk/client-ec2')
export type IamModule = typeof import('@aws-sdk/client-iam')

export interface AwsRegionClients {
  region: string
  eks: EKSClient
  ec2: EC2Client
  iam: IAMClient
  sts: STSClient
  sdk: {eks: EksModule; ec2: Ec2Module; iam: IamModule}
}

export async function createRegionClients(region: string, config: AwsClientConfig = {}): Promise<AwsRegionClients> {
  silenceNodeVersionWarning()
  const [eks, ec2, iam, sts] = await Promise.all([
    import('@aws-sdk/client-eks'),
    import('@aws-sdk/client-ec2'),
    import('@aws-sdk/client-iam'),
    import('@aws-sdk/client-sts'),
  ])
  const settings = {maxAttempts: DEFAULT_MAX_ATTEMPTS, ...config, region}
  return {
    region,
    eks: new eks.EKSClient(settings),
    ec2: new ec2.EC2Client(settings as NonNullable<ConstructorParameters<typeof ec2.EC2Client>[0]>),
    iam: new iam.IAMClient(settings as NonNullable<ConstructorParameters<typeof iam.IAMClient>[0]>),
    sts: new sts.STSClient(settings as NonNullable<ConstructorParameters<typeof sts.STSClient>[0]>),
    sdk: {eks, ec2, iam},
  }
}

export function destroyRegionClients(clients: AwsRegionClients): void {
  clients.eks.destroy()
  clients.ec2.destroy()
  clients.iam.destroy()
  clients.sts.destroy()
}
