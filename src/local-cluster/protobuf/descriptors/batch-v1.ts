import type {PackageSpec} from '../schema.js'

/** k8s.io/api batch/v1: generated.proto field numbers; pointers and json tags from types.go. */
export const batchV1: PackageSpec = {
  name: 'batch',
  messages: {
    CronJob: 'metadata=1:meta.ObjectMeta spec=2:CronJobSpec status=3:CronJobStatus',
    CronJobSpec: `schedule=1! timeZone=8? startingDeadlineSeconds=2:int64? concurrencyPolicy=3 suspend=4:bool?
      jobTemplate=5:JobTemplateSpec successfulJobsHistoryLimit=6:int32? failedJobsHistoryLimit=7:int32?`,
    CronJobStatus: 'active=1:[]core.ObjectReference lastScheduleTime=4:Time? lastSuccessfulTime=5:Time?',
    Job: 'metadata=1:meta.ObjectMeta spec=2:JobSpec status=3:JobStatus',
    JobCondition: 'type=1! status=2! lastProbeTime=3:Time lastTransitionTime=4:Time reason=5 message=6',
    JobSpec: `parallelism=1:int32? completions=2:int32? activeDeadlineSeconds=3:int64?
      podFailurePolicy=11:PodFailurePolicy? successPolicy=16:SuccessPolicy? backoffLimit=7:int32?
      backoffLimitPerIndex=12:int32? maxFailedIndexes=13:int32? selector=4:meta.LabelSelector?
      manualSelector=5:bool? template=6:core.PodTemplateSpec ttlSecondsAfterFinished=8:int32? completionMode=9?
      suspend=10:bool? podReplacementPolicy=14? managedBy=15?`,
    JobStatus: `conditions=1:[]JobCondition startTime=2:Time? completionTime=3:Time? active=4:int32 succeeded=5:int32
      failed=6:int32 terminating=11:int32? completedIndexes=7 failedIndexes=10?
      uncountedTerminatedPods=8:UncountedTerminatedPods? ready=9:int32?`,
    JobTemplateSpec: 'metadata=1:meta.ObjectMeta spec=2:JobSpec',
    PodFailurePolicy: 'rules=1:[]PodFailurePolicyRule!',
    PodFailurePolicyOnExitCodesRequirement: 'containerName=1? operator=2! values=3:[]int32!',
    PodFailurePolicyOnPodConditionsPattern: 'type=1! status=2!',
    PodFailurePolicyRule: `action=1! onExitCodes=2:PodFailurePolicyOnExitCodesRequirement?
      onPodConditions=3:[]PodFailurePolicyOnPodConditionsPattern`,
    SuccessPolicy: 'rules=1:[]SuccessPolicyRule!',
    SuccessPolicyRule: 'succeededIndexes=1? succeededCount=2:int32?',
    UncountedTerminatedPods: 'succeeded=1:[]string failed=2:[]string',
  },
}
