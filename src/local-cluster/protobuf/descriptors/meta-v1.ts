import type {PackageSpec} from '../schema.js'

/** k8s.io/apimachinery pkg/apis/meta/v1: generated.proto field numbers; pointers and json tags from types.go. */
export const metaV1: PackageSpec = {
  name: 'meta',
  messages: {
    Condition: 'type=1! status=2! observedGeneration=3:int64 lastTransitionTime=4:Time reason=5! message=6!',
    LabelSelector: 'matchLabels=1:{}string matchExpressions=2:[]LabelSelectorRequirement',
    LabelSelectorRequirement: 'key=1! operator=2! values=3:[]string',
    ManagedFieldsEntry: `manager=1 operation=2 apiVersion=3 time=4:Time? fieldsType=6 fieldsV1=7:FieldsV1? subresource=8`,
    ObjectMeta: `name=1 generateName=2 namespace=3 selfLink=4 uid=5 resourceVersion=6 generation=7:int64
      creationTimestamp=8:Time deletionTimestamp=9:Time? deletionGracePeriodSeconds=10:int64? labels=11:{}string
      annotations=12:{}string ownerReferences=13:[]OwnerReference finalizers=14:[]string
      managedFields=17:[]ManagedFieldsEntry`,
    OwnerReference: 'apiVersion=5! kind=1! name=3! uid=4! controller=6:bool? blockOwnerDeletion=7:bool?',
  },
}
