import type {PackageSpec} from '../schema.js'

/** k8s.io/api policy/v1: generated.proto field numbers; pointers and json tags from types.go. */
export const policyV1: PackageSpec = {
  name: 'policy',
  messages: {
    PodDisruptionBudget: 'metadata=1:meta.ObjectMeta spec=2:PodDisruptionBudgetSpec status=3:PodDisruptionBudgetStatus',
    PodDisruptionBudgetSpec: `minAvailable=1:IntOrString? selector=2:meta.LabelSelector? maxUnavailable=3:IntOrString?
      unhealthyPodEvictionPolicy=4?`,
    PodDisruptionBudgetStatus: `observedGeneration=1:int64 disruptedPods=2:{}Time disruptionsAllowed=3:int32! currentHealthy=4:int32!
      desiredHealthy=5:int32! expectedPods=6:int32! conditions=7:[]meta.Condition`,
  },
}
