import type {ResourceRef} from '../store/types.js'

/** The resource types the controllers read and write, named once. */
export const PODS: ResourceRef = {group: '', resource: 'pods'}
export const NODES: ResourceRef = {group: '', resource: 'nodes'}
export const NAMESPACES: ResourceRef = {group: '', resource: 'namespaces'}
export const SERVICES: ResourceRef = {group: '', resource: 'services'}
export const ENDPOINTS: ResourceRef = {group: '', resource: 'endpoints'}
export const PVCS: ResourceRef = {group: '', resource: 'persistentvolumeclaims'}
export const EVENTS: ResourceRef = {group: '', resource: 'events'}
export const DEPLOYMENTS: ResourceRef = {group: 'apps', resource: 'deployments'}
export const REPLICASETS: ResourceRef = {group: 'apps', resource: 'replicasets'}
export const STATEFULSETS: ResourceRef = {group: 'apps', resource: 'statefulsets'}
export const JOBS: ResourceRef = {group: 'batch', resource: 'jobs'}
export const CRONJOBS: ResourceRef = {group: 'batch', resource: 'cronjobs'}
export const VIRTUALSERVICES: ResourceRef = {group: 'networking.istio.io', resource: 'virtualservices'}
export const DESTINATIONRULES: ResourceRef = {group: 'networking.istio.io', resource: 'destinationrules'}
export const CONFIGMAPS: ResourceRef = {group: '', resource: 'configmaps'}
export const SECRETS: ResourceRef = {group: '', resource: 'secrets'}
export const RESOURCEQUOTAS: ResourceRef = {group: '', resource: 'resourcequotas'}
export const PERSISTENTVOLUMES: ResourceRef = {group: '', resource: 'persistentvolumes'}
export const STORAGECLASSES: ResourceRef = {group: 'storage.k8s.io', resource: 'storageclasses'}
export const SERVICEACCOUNTS: ResourceRef = {group: '', resource: 'serviceaccounts'}
/** The OpenFeature Operator's FeatureFlag (bootstrapped CRD): the flags the traffic model evaluates. */
export const FEATUREFLAGS: ResourceRef = {group: 'core.openfeature.dev', resource: 'featureflags'}
