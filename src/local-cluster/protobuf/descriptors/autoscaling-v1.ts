import type {PackageSpec} from '../schema.js'

/** k8s.io/api autoscaling/v1: generated.proto field numbers; pointers and json tags from types.go. */
export const autoscalingV1: PackageSpec = {
  name: 'autoscalingv1',
  messages: {
    CrossVersionObjectReference: 'kind=1! name=2! apiVersion=3',
    HorizontalPodAutoscaler: `metadata=1:meta.ObjectMeta spec=2:HorizontalPodAutoscalerSpec status=3:HorizontalPodAutoscalerStatus`,
    HorizontalPodAutoscalerSpec: `scaleTargetRef=1:CrossVersionObjectReference minReplicas=2:int32? maxReplicas=3:int32!
      targetCPUUtilizationPercentage=4:int32?`,
    HorizontalPodAutoscalerStatus: `observedGeneration=1:int64? lastScaleTime=2:Time? currentReplicas=3:int32! desiredReplicas=4:int32!
      currentCPUUtilizationPercentage=5:int32?`,
  },
}
