import type {PackageSpec} from '../schema.js'

/** k8s.io/api networking/v1: generated.proto field numbers; pointers and json tags from types.go. */
export const networkingV1: PackageSpec = {
  name: 'networking',
  messages: {
    HTTPIngressPath: 'path=1 pathType=3? backend=2:IngressBackend',
    HTTPIngressRuleValue: 'paths=1:[]HTTPIngressPath!',
    Ingress: 'metadata=1:meta.ObjectMeta spec=2:IngressSpec status=3:IngressStatus',
    IngressBackend: 'service=4:IngressServiceBackend? resource=3:core.TypedLocalObjectReference?',
    IngressLoadBalancerIngress: 'ip=1 hostname=2 ports=4:[]IngressPortStatus',
    IngressLoadBalancerStatus: 'ingress=1:[]IngressLoadBalancerIngress',
    IngressPortStatus: 'port=1:int32! protocol=2! error=3?',
    IngressRule: 'host=1 ingressRuleValue=2:IngressRuleValue^',
    IngressRuleValue: 'http=1:HTTPIngressRuleValue?',
    IngressServiceBackend: 'name=1! port=2:ServiceBackendPort',
    IngressSpec: 'ingressClassName=4? defaultBackend=1:IngressBackend? tls=2:[]IngressTLS rules=3:[]IngressRule',
    IngressStatus: 'loadBalancer=1:IngressLoadBalancerStatus',
    IngressTLS: 'hosts=1:[]string secretName=2',
    ServiceBackendPort: 'name=1 number=2:int32',
  },
}
