export {createAwsProvider, type AwsProviderOptions} from './provider.js'
export {awsClusterName} from './names.js'
