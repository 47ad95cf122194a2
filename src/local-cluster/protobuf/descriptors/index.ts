import type {PackageSpec} from '../schema.js'
import {appsV1} from './apps-v1.js'
import {autoscalingV1} from './autoscaling-v1.js'
import {autoscalingV2} from './autoscaling-v2.js'
import {batchV1} from './batch-v1.js'
import {coreV1} from './core-v1.js'
import {metaV1} from './meta-v1.js'
import {networkingV1} from './networking-v1.js'
import {policyV1} from './policy-v1.js'
import {rbacV1} from './rbac-v1.js'

export const PACKAGES: readonly PackageSpec[] = [metaV1, coreV1, appsV1, batchV1, rbacV1, policyV1, networkingV1, autoscalingV1, autoscalingV2]

/**
 * The kinds whose protobuf bodies the local API server decodes, by `apiVersion kind`: what
 * kubectl's typed clients send as protobuf (kubectl 1.32 and later: every `kubectl create`
 * subcommand, `kubectl autoscale`). Any other kind is answered like a kind
 * without a protobuf serializer (a custom resource): 415.
 */
export const ROOT_MESSAGES: Readonly<Record<string, string>> = {
  'v1 Namespace': 'core.Namespace',
  'v1 ConfigMap': 'core.ConfigMap',
  'v1 Secret': 'core.Secret',
  'v1 Service': 'core.Service',
  'v1 ServiceAccount': 'core.ServiceAccount',
  'v1 ResourceQuota': 'core.ResourceQuota',
  'apps/v1 Deployment': 'apps.Deployment',
  'batch/v1 Job': 'batch.Job',
  'batch/v1 CronJob': 'batch.CronJob',
  'rbac.authorization.k8s.io/v1 Role': 'rbac.Role',
  'rbac.authorization.k8s.io/v1 RoleBinding': 'rbac.RoleBinding',
  'rbac.authorization.k8s.io/v1 ClusterRole': 'rbac.ClusterRole',
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding': 'rbac.ClusterRoleBinding',
  'policy/v1 PodDisruptionBudget': 'policy.PodDisruptionBudget',
  'networking.k8s.io/v1 Ingress': 'networking.Ingress',
  'autoscaling/v1 HorizontalPodAutoscaler': 'autoscalingv1.HorizontalPodAutoscaler',
  'autoscaling/v2 HorizontalPodAutoscaler': 'autoscalingv2.HorizontalPodAutoscaler',
}
