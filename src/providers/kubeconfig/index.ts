export {createKubeconfigProvider, type KubeconfigProviderOptions} from './provider.js'
export {parseContextSpec, type ContextAssignment} from './context-spec.js'
