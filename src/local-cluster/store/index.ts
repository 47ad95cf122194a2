export * from './types.js'
export {ApiError, apiErrors, isApiError, qualifiedResource, type ApiStatus, type StatusCause} from './api-error.js'
export {builtinTypes, FAULTS_GROUP, FAULTS_RESOURCE, INITIAL_NAMESPACES} from './builtin-types.js'
export {
  createObjectStore,
  typeKey,
  type ListPage,
  type ListPageOptions,
  type LocalObjectStore,
  type ObjectStoreInstance,
  type ObjectStoreOptions,
  type StoreLogger,
} from './object-store.js'
export {
  compileFieldSelector,
  compileLabelSelector,
  compileLabelSelectorObject,
  formatLabelSelectorObject,
  parseLabelSelector,
  type LabelSelectorObject,
} from './selectors.js'
export {isDns1123Label, isDns1123Subdomain} from './validate-meta.js'
