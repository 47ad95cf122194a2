import type {PackageSpec} from '../schema.js'

/** k8s.io/api apps/v1: generated.proto field numbers; pointers and json tags from types.go. */
export const appsV1: PackageSpec = {
  name: 'apps',
  messages: {
    Deployment: 'metadata=1:meta.ObjectMeta spec=2:DeploymentSpec status=3:DeploymentStatus',
    DeploymentCondition: 'type=1! status=2! lastUpdateTime=6:Time lastTransitionTime=7:Time reason=4 message=5',
    DeploymentSpec: `replicas=1:int32? selector=2:meta.LabelSelector? template=3:core.PodTemplateSpec
      strategy=4:DeploymentStrategy minReadySeconds=5:int32 revisionHistoryLimit=6:int32? paused=7:bool
      progressDeadlineSeconds=9:int32?`,
    DeploymentStatus: `observedGeneration=1:int64 replicas=2:int32 updatedReplicas=3:int32 readyReplicas=7:int32
      availableReplicas=4:int32 unavailableReplicas=5:int32 conditions=6:[]DeploymentCondition
      collisionCount=8:int32?`,
    DeploymentStrategy: 'type=1 rollingUpdate=2:RollingUpdateDeployment?',
    RollingUpdateDeployment: 'maxUnavailable=1:IntOrString? maxSurge=2:IntOrString?',
  },
}
