import {GoogleAuth} from 'google-auth-library'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, test} from 'vitest'

import {gcpStatus} from '../../../src/providers/gcp/errors.js'
import {createGcpProvider} from '../../../src/providers/gcp/index.js'
import {gkeClusterName} from '../../../src/providers/gcp/names.js'
import {planGcpClusters} from '../../../src/providers/gcp/plan.js'
import {testEnvironment, testService} from '../../helpers/builders.js'

const env = testEnvironment({name: 'demo', provider: 'gcp', regions: {primary: 'europe-west1'}, gcp: {project: 'mygate-unit-project'}})

describe('GCP provider', () => {
  const saved = {...process.env}
  afterEach(() => {
    process.env = {...saved}
  })

  test('missing application-default credentials: UsageError naming gcloud auth application-default login', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'mygate-gcloud-'))
    try {
      // Nowhere to find credentials: no key file, no gcloud config, no metadata server.
      delete process.env.GOOGLE_APPLICATION_CREDENTIALS
      process.env.CLOUDSDK_CONFIG = empty
      process.env.HOME = empty
      process.env.METADATA_SERVER_DETECTION = 'none'
      const provider = createGcpProvider({
        clientOptions: {fallback: true, apiEndpoint: '127.0.0.1', port: 9, protocol: 'http', auth: new GoogleAuth({scopes: ['https://www.googleapis.com/auth/cloud-platform']})},
      })
      const error = await provider.validate(env).catch((caught) => caught)
      expect(error).toMatchObject({name: 'UsageError', message: 'no Google Cloud credentials found'})
      expect(error.hint).toMatch(/gcloud auth application-default login/)
    } finally {
      await rm(empty, {recursive: true, force: true})
    }
  })

  test.each([
    [{code: 5, message: 'NOT_FOUND: cluster'}, 'NOT_FOUND'],
    [{code: 6, message: 'exists'}, 'ALREADY_EXISTS'],
    [{code: 404, message: '{"error":{"code":404,"message":"gone","status":"NOT_FOUND"}}'}, 'NOT_FOUND'],
    [{code: 409, message: 'conflict'}, 'ALREADY_EXISTS'],
    [{code: 400, message: '{"error":{"code":400,"message":"busy","status":"FAILED_PRECONDITION"}}'}, 'FAILED_PRECONDITION'],
  ])('gcpStatus reads gRPC and REST errors alike: %o', (error, status) => {
    expect(gcpStatus(Object.assign(new Error(error.message), {code: error.code}))).toBe(status)
  })

  test('cluster names fit GKE\'s 40 characters and stay distinct', () => {
    expect(gkeClusterName('demo', 'europe-west1')).toBe('mygate-demo-europe-west1')
    const a = gkeClusterName('a-rather-long-environment-name', 'northamerica-northeast1')
    const b = gkeClusterName('a-rather-long-environment-name', 'northamerica-northeast2')
    expect(a).toHaveLength(40)
    expect(a).not.toBe(b)
  })

  test('plan: spot pool only when a non-critical service allows spot', () => {
    expect(planGcpClusters(env, [testService({spot: false})])[0].nodeGroups.map((group) => group.name)).toEqual(['ng-on-demand'])
    const withSpot = planGcpClusters(env, [testService({spot: true})])[0].nodeGroups
    expect(withSpot.map((group) => [group.name, group.capacity, group.instanceTypes])).toEqual([
      ['ng-on-demand', 'on-demand', ['e2-standard-2']],
      ['ng-spot', 'spot', ['e2-standard-2']],
    ])
  })
})
