/**
 * The AWS SDK warns on every Node 20 process that later SDK releases will need Node 22. mygate
 * supports Node >= 20.19 on purpose and pins SDK versions that run there; the multi-line warning
 * on stderr only confuses people and the kubectl exec plugin, so it is turned off unless the user
 * set the SDK's own switch explicitly.
 */
export function silenceNodeVersionWarning(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
}
