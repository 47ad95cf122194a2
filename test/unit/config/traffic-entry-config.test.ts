import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, test} from 'vitest'

import {loadProjectConfig, resolveEnvironment} from '../../../src/config/load-project-config.js'
import {UsageError} from '../../../src/errors.js'

const ARN = (region: string) => `arn:aws:acm:${region}:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-123456789012`
const ACL = (region: string) => `arn:aws:wafv2:${region}:123456789012:regional/webacl/mygate/1234abcd`

const VALID = `apiVersion: mygate.dev/v1
kind: Project
registry: registry.example.com/mygate
environments:
  live:
    tier: prod
    provider: aws
    regions: {primary: ap-south-1, secondary: ap-south-2}
    drMode: active-active
    dns:
      zone: example.com
      name: app.live.example.com
    entry:
      ap-south-1:
        tls: {certificateArn: ${ARN('ap-south-1')}}
        waf: {webAclArn: ${ACL('ap-south-1')}}
      ap-south-2:
        tls: {certificateArn: ${ARN('ap-south-2')}}
  edge:
    tier: staging
    provider: gcp
    regions: {primary: asia-south1}
    dns: {zone: example.org, name: edge.example.org}
    entry:
      asia-south1:
        tls: {certificateName: edge-cert}
        waf: {securityPolicy: edge-armor}
`

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mygate-traffic-config-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

const lineOf = (text: string, needle: string) => {
  const index = text.split('\n').findIndex((line) => line.includes(needle))
  expect(index, `"${needle}" not found`).toBeGreaterThanOrEqual(0)
  return index + 1
}

describe('dns and entry settings in mygate.yaml', () => {
  test('valid settings resolve into the spec unchanged', async () => {
    await writeFile(join(dir, 'mygate.yaml'), VALID)
    const config = await loadProjectConfig({cwd: dir})
    const live = resolveEnvironment(config, 'live')
    expect(live.drMode).toBe('active-active')
    expect(live.dns).toEqual({zone: 'example.com', name: 'app.live.example.com'})
    expect(live.entry?.['ap-south-1']).toEqual({tls: {certificateArn: ARN('ap-south-1')}, waf: {webAclArn: ACL('ap-south-1')}})
    expect(resolveEnvironment(config, 'edge').entry?.['asia-south1']).toEqual({tls: {certificateName: 'edge-cert'}, waf: {securityPolicy: 'edge-armor'}})
  })

  test.each<[string, (text: string) => string, string, string]>([
    ['a name outside its zone', (t) => t.replace('name: app.live.example.com', 'name: app.example.net'), 'name: app.example.net', 'environments.live.dns.name must be a name inside the zone example.com'],
    ['the zone apex as the name', (t) => t.replace('name: app.live.example.com', 'name: example.com'), 'name: example.com', 'the zone apex cannot hold failover CNAME records'],
    ['a dns block without a zone', (t) => t.replace('      zone: example.com\n', ''), '    dns:', 'environments.live.dns.zone is required'],
    ['an upper-case DNS name', (t) => t.replace('name: app.live.example.com', 'name: App.live.example.com'), 'name: App.live', 'environments.live.dns.name must be a lower-case DNS name'],
    ['an entry for a region the environment lacks', (t) => t.replace('      ap-south-2:\n', '      eu-west-1:\n'), 'eu-west-1:', 'environments.live.entry.eu-west-1 is not a region of this environment (its regions: ap-south-1, ap-south-2)'],
    ['a certificate from another region (ACM is regional)', (t) => t.replace(`tls: {certificateArn: ${ARN('ap-south-2')}}`, `tls: {certificateArn: ${ARN('us-east-1')}}`), 'us-east-1', 'environments.live.entry.ap-south-2.tls.certificateArn names region us-east-1, but this entry is for ap-south-2'],
    ['a web ACL from another region', (t) => t.replace(`waf: {webAclArn: ${ACL('ap-south-1')}}`, `waf: {webAclArn: ${ACL('ap-south-2')}}`), 'webAclArn', 'environments.live.entry.ap-south-1.waf.webAclArn names region ap-south-2'],
    ['an aws setting on gcp', (t) => t.replace('tls: {certificateName: edge-cert}', `tls: {certificateArn: ${ARN('asia-south1')}}`), 'asia-south1:123', 'environments.edge.entry.asia-south1.tls.certificateArn is only used with provider aws (this environment uses gcp)'],
    ['a Cloud Armor policy on aws', (t) => t.replace(`waf: {webAclArn: ${ACL('ap-south-1')}}`, 'waf: {securityPolicy: armor}'), 'securityPolicy: armor', 'environments.live.entry.ap-south-1.waf.securityPolicy is only used with provider gcp (this environment uses aws)'],
    ['a certificate that is not an ARN', (t) => t.replace(`tls: {certificateArn: ${ARN('ap-south-2')}}`, 'tls: {certificateArn: my-cert}'), 'certificateArn: my-cert', 'environments.live.entry.ap-south-2.tls.certificateArn must be an ACM certificate ARN'],
    ['an unknown tls key', (t) => t.replace('tls: {certificateName: edge-cert}', 'tls: {certificate: edge-cert}'), 'certificate: edge-cert', 'environments.edge.entry.asia-south1.tls.certificate is not a known field'],
  ])('%s is a FILE:LINE error', async (_case, edit, needle, expected) => {
    const text = edit(VALID)
    const file = join(dir, 'mygate.yaml')
    await writeFile(file, text)
    const error = await loadProjectConfig({cwd: dir}).then(
      () => undefined,
      (thrown: unknown) => thrown,
    )
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toContain(`${file}:${lineOf(text, needle)}: `)
    expect((error as UsageError).message).toContain(expected)
  })

  test('dns on a kubeconfig environment is refused: those clusters bring their own DNS', async () => {
    const text = `apiVersion: mygate.dev/v1
kind: Project
registry: r.example.com
environments:
  qa:
    tier: dev
    provider: kubeconfig
    context: kind-qa
    regions: {primary: local-1}
    dns: {zone: example.com, name: qa.example.com}
`
    const file = join(dir, 'mygate.yaml')
    await writeFile(file, text)
    await expect(loadProjectConfig({cwd: dir})).rejects.toThrow(`${file}:10: environments.qa.dns is not used with provider kubeconfig`)
  })
})
