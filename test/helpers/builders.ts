import type {ServiceDescriptor, TierSettings} from '../../src/catalog/types.js'
import type {EnvironmentSpec} from '../../src/config/types.js'

/** Typed test-data builders: a valid object with only what a test cares about overridden. */

const tier = (replicas: number): TierSettings => ({
  replicas,
  resources: {requests: {cpu: '100m', memory: '128Mi'}, limits: {cpu: '500m', memory: '256Mi'}},
})

export function testService(overrides: Partial<ServiceDescriptor> = {}): ServiceDescriptor {
  const name = overrides.name ?? 'visitors'
  return {
    name,
    description: `${name} service`,
    kind: 'app',
    image: {repository: `mygate/${name}`, tag: '1.0.0'},
    port: 8080,
    probes: {liveness: '/healthz', readiness: '/ready'},
    tiers: {dev: tier(1), staging: tier(2), prod: tier(3)},
    autoscaling: {minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70},
    rollout: {
      strategy: 'canary',
      canarySteps: [10, 25, 50, 100],
      stepPause: '30s',
      analysis: {maxErrorRate: 0.01, maxP99LatencyMs: 500, interval: '30s', failureLimit: 1},
    },
    dependencies: {services: []},
    secrets: [],
    criticality: {level: 'high', rto: '15m', rpo: '5m'},
    backup: {enabled: false},
    spot: false,
    source: {file: `services/${name}.yaml`},
    ...overrides,
  }
}

export function testEnvironment(overrides: Partial<EnvironmentSpec> = {}): EnvironmentSpec {
  return {
    name: 'demo',
    tier: 'dev',
    provider: 'local',
    regions: {primary: 'local-1'},
    drMode: 'warm-standby',
    registry: 'registry.mygate.dev',
    versions: {},
    mesh: false,
    ...overrides,
  }
}
