import {NAMESPACES} from '../config/types.js'

/**
 * Where the rollout I/O layer keeps things in a cluster. Everything mygate writes for rollouts
 * lives in `mygate-system` (NAMESPACES.system, which holds mygate's own records and no workloads);
 * the workloads it creates live beside the rendered Deployment in the app namespace.
 *
 * Per service (one environment per cluster, so "per environment and service" holds):
 * - ConfigMap `mygate-rollout-SERVICE`: the current (or last) rollout's RolloutState;
 * - ConfigMap `mygate-rollout-audit-SERVICE`: the audit trail, last {@link AUDIT_LIMIT} deploys;
 * - Lease `mygate-deploy-SERVICE`: who is driving a rollout of the service right now.
 * In the app namespace:
 * - Deployment `SERVICE-canary` (pods track=canary), kept at 0 replicas between canaries;
 * - Deployments `SERVICE-blue` / `SERVICE-green` and Service `SERVICE-preview` (blue-green).
 */

export const ROLLOUT_NAMESPACE: string = NAMESPACES.system
export const APP_NAMESPACE: string = NAMESPACES.apps
export const AUDIT_LIMIT = 50

export const LABEL_COLOR = 'mygate.dev/color'
export const LABEL_ROLLOUT_SERVICE = 'mygate.dev/rollout-service'

export const stateConfigMapName = (service: string): string => `mygate-rollout-${service}`
export const auditConfigMapName = (service: string): string => `mygate-rollout-audit-${service}`
export const leaseName = (service: string): string => `mygate-deploy-${service}`
export const canaryDeploymentName = (service: string): string => `${service}-canary`
export const colorDeploymentName = (service: string, color: string): string => `${service}-${color}`
export const previewServiceName = (service: string): string => `${service}-preview`

/** The Prometheus HTTP API reached through the API server's service proxy (no port-forward). */
export const PROMETHEUS_PROXY_PATH = '/api/v1/namespaces/monitoring/services/prometheus:9090/proxy'
