import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {runKubectl} from '../helpers/kubectl.js'
import {createLocalEnvironment, type LocalHome} from '../helpers/local-home.js'

/**
 * Issue 9, "done when": on the local provider, deleting a Secret makes the next pod of the service
 * that reads it fail with CreateContainerConfigError, as kubectl shows; running pods are left
 * alone (the kubelet resolves env vars at container start). The kubelet's message is upstream's
 * (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables): `secret "NAME" not found`.
 */
describe('a Secret deleted under a running mygate environment', () => {
  let local: LocalHome
  let kubeconfig: string
  const kubectl = async (...args: string[]) => {
    const run = await runKubectl(['-n', 'mygate', ...args], {kubeconfig})
    expect(run.exitCode, run.stderr).toBe(0)
    return run.stdout
  }
  const billingPods = async () => (await kubectl('get', 'pods', '-l', 'app.kubernetes.io/name=billing', '-o', 'name')).trim().split('\n').filter(Boolean)

  beforeAll(async () => {
    ;({local, kubeconfig} = await createLocalEnvironment('gone'))
  }, 120_000)
  afterAll(async () => {
    await local?.cleanup()
  })

  test('the next billing pod waits in CreateContainerConfigError naming the Secret', async () => {
    const [running] = await billingPods()
    await kubectl('delete', 'secret', 'billing-db-credentials')
    // The running pod keeps running: its environment was resolved when it started.
    expect(await kubectl('get', running, '-o', 'jsonpath={.status.phase}')).toBe('Running')
    await kubectl('delete', running, '--wait=false')
    const deadline = Date.now() + 20_000
    let table: string
    for (;;) {
      table = await kubectl('get', 'pods', '-l', 'app.kubernetes.io/name=billing')
      if (/CreateContainerConfigError/.test(table) || Date.now() > deadline) break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    expect(table).toMatch(/^billing-\S+\s+0\/1\s+CreateContainerConfigError\s+0\s+/m)
    const next = (await billingPods()).find((pod) => pod !== running)!
    expect(await kubectl('get', next, '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.message}')).toBe('secret "billing-db-credentials" not found')
  }, 60_000)
})
