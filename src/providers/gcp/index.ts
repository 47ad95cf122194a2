export {createGcpProvider, type GcpProviderOptions} from './provider.js'
export {gkeClusterName} from './names.js'
