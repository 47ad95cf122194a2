import type {ServiceDescriptor} from '../catalog/types.js'
import {NAMESPACES, type EnvironmentSpec} from '../config/types.js'
import {OMIT, type TemplateContext} from './template-engine.js'

/**
 * The gateway's public entry point in one region: an Ingress the region's cloud load balancer
 * controller turns into a load balancer. Decisions are made here; templates/entry places them.
 *
 * - aws (AWS Load Balancer Controller, ingress annotations as documented in its guide): an
 *   internet-facing ALB with IP targets (pods directly, no NodePort hop), HTTP and HTTPS
 *   listeners with a redirect to 443, the ALB's health check on the gateway's readiness path, the
 *   region's own ACM certificate (ACM certificates are regional) or, without one, certificate
 *   discovery from the Ingress's TLS host, and a WAFv2 web ACL when configured.
 * - gcp (GKE Ingress): class `gce` by annotation (GKE's controller reads the annotation, not
 *   spec.ingressClassName), a Google-managed certificate for the DNS name or a pre-shared one, and
 *   a BackendConfig carrying the health check and, when configured, the Cloud Armor policy; the
 *   gateway Service points at it (see {@link gatewayServiceAnnotations}).
 * - local and kubeconfig: a plain Ingress. The local control plane gives it a load-balancer
 *   address as a cloud controller would.
 */

/** Object names in each region: one entry point per environment and region. */
export const ENTRY_NAME = 'gateway'

export function entryContext(env: EnvironmentSpec, region: string, gateway: ServiceDescriptor, dnsName: string | undefined): TemplateContext {
  const settings = env.entry?.[region] ?? {}
  const healthPath = gateway.probes.readiness
  const annotations: Record<string, string> = {}
  let className: string | typeof OMIT = OMIT
  let tls: unknown = OMIT
  const gcp = {managedCertificate: {enabled: false, domains: [] as string[]}, backendConfig: {enabled: false, healthPath, port: gateway.port, securityPolicy: OMIT as unknown}}

  if (env.provider === 'aws') {
    const https = Boolean(settings.tls?.certificateArn || dnsName)
    className = 'alb'
    Object.assign(annotations, {
      'alb.ingress.kubernetes.io/scheme': 'internet-facing',
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/healthcheck-path': healthPath,
      'alb.ingress.kubernetes.io/listen-ports': https ? '[{"HTTP": 80}, {"HTTPS": 443}]' : '[{"HTTP": 80}]',
      'alb.ingress.kubernetes.io/tags': `mygate.dev/environment=${env.name},mygate.dev/region=${region}`,
    })
    if (https) annotations['alb.ingress.kubernetes.io/ssl-redirect'] = '443'
    if (settings.tls?.certificateArn) annotations['alb.ingress.kubernetes.io/certificate-arn'] = settings.tls.certificateArn
    if (settings.waf?.webAclArn) annotations['alb.ingress.kubernetes.io/wafv2-acl-arn'] = settings.waf.webAclArn
    // Without an ARN the controller discovers an ACM certificate matching the TLS host.
    if (dnsName) tls = [{hosts: [dnsName]}]
  } else if (env.provider === 'gcp') {
    annotations['kubernetes.io/ingress.class'] = 'gce'
    if (settings.tls?.certificateName) {
      annotations['ingress.gcp.kubernetes.io/pre-shared-cert'] = settings.tls.certificateName
    } else if (dnsName) {
      annotations['networking.gke.io/managed-certificates'] = ENTRY_NAME
      gcp.managedCertificate = {enabled: true, domains: [dnsName]}
    }
    if (settings.tls?.certificateName || dnsName) annotations['kubernetes.io/ingress.allow-http'] = 'false'
    gcp.backendConfig = {enabled: true, healthPath, port: gateway.port, securityPolicy: settings.waf?.securityPolicy ? {name: settings.waf.securityPolicy} : OMIT}
  }

  return {
    name: ENTRY_NAME,
    namespace: NAMESPACES.apps,
    ingress: {
      className,
      annotations: Object.keys(annotations).length > 0 ? annotations : OMIT,
      host: dnsName ?? OMIT,
      tls,
    },
    gateway: {name: gateway.name, port: gateway.port},
    gcp,
  }
}

/**
 * Annotations on the gateway's Service: on gcp it uses the entry point's BackendConfig and
 * container-native load balancing (NEGs), which GKE Ingress needs for a ClusterIP Service.
 */
export function gatewayServiceAnnotations(env: EnvironmentSpec): Record<string, string> | typeof OMIT {
  if (env.provider !== 'gcp') return OMIT
  return {
    'cloud.google.com/backend-config': JSON.stringify({default: ENTRY_NAME}),
    'cloud.google.com/neg': JSON.stringify({ingress: true}),
  }
}
