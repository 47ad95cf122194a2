import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'

import {PACKAGES, ROOT_MESSAGES} from '../../../../src/local-cluster/protobuf/descriptors/index.js'
import {decodeProtobufObject, decodesProtobuf, ProtobufDecodeError, protobufRegistry} from '../../../../src/local-cluster/protobuf/index.js'
import {buildRegistry} from '../../../../src/local-cluster/protobuf/schema.js'

/**
 * The decoder against bodies real kubectl sent (test/fixtures/kubectl-bodies, recorded by its
 * capture.ts): kubectl 1.32 and 1.33 send protobuf, 1.31 sends JSON for the same command, and
 * both come from the same Go structs, so a correct decoder turns the protobuf into exactly the
 * JSON text 1.31 sent. Then hand-built bytes for the wire rules kubectl's bodies do not reach.
 */

const FIXTURES = join(import.meta.dirname, '../../../fixtures/kubectl-bodies')
const names = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.kubectl-1.31.json'))
  .map((file) => file.replace('.kubectl-1.31.json', ''))

function fixture(name: string, version: string): Buffer {
  return readFileSync(join(FIXTURES, `${name}.kubectl-${version}.${version === '1.31' ? 'json' : 'pb'}`))
}

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/** Decodes a captured body as the URL of its JSON twin would (the kind the 1.31 body names). */
function decodeFixture(name: string, version: string, kind = JSON.parse(fixture(name, '1.31').toString()) as Obj): Obj {
  return decodeProtobufObject(fixture(name, version), {apiVersion: kind.apiVersion, kind: kind.kind}) as Obj
}

describe('bodies captured from kubectl', () => {
  test('every command kubectl create offers for a served kind is in the fixtures', () => {
    expect(names).toHaveLength(21)
  })

  const sameApiVersion = names.flatMap((name) => ['1.32', '1.33'].map((version) => [name, version] as const)).filter(([name, version]) => !(name === 'autoscale' && version === '1.33'))
  test.each(sameApiVersion)('%s from kubectl %s decodes to the JSON kubectl 1.31 sends', (name, version) => {
    const body = fixture(name, version)
    expect([...body.subarray(0, 4)]).toEqual([0x6b, 0x38, 0x73, 0x00])
    expect(JSON.stringify(decodeFixture(name, version))).toBe(fixture(name, '1.31').toString('utf8').trimEnd())
  })

  test('Secret data round-trips byte for byte (bytes fields are base64 in JSON)', () => {
    const secret = decodeFixture('secret-generic', '1.33')
    expect(Buffer.from(secret.data.blob, 'base64')).toEqual(Buffer.from(Array.from({length: 256}, (_, i) => i)))
    expect(Buffer.from(secret.data.password, 'base64').toString('utf8')).toBe('p@ss wörd')
  })

  test('a pointer set to zero stays (replicas: 0); an empty map value stays ""', () => {
    expect(decodeFixture('deployment-zero-replicas', '1.33').spec.replicas).toBe(0)
    expect(decodeFixture('configmap', '1.33').data).toEqual({empty: '', mode: 'fast'})
  })

  test('IntOrString as a name and as a percentage, Quantity as its text', () => {
    expect(decodeFixture('service-nodeport', '1.33').spec.ports[0]).toEqual({name: '443-https', protocol: 'TCP', port: 443, targetPort: 'https', nodePort: 30443})
    expect(decodeFixture('poddisruptionbudget', '1.33').spec.maxUnavailable).toBe('25%')
    expect(decodeFixture('quota', '1.33').spec.hard).toEqual({cpu: '1500m', memory: '2Gi', pods: '10'})
  })

  test('kubectl 1.33 autoscale sends an autoscaling/v2 HorizontalPodAutoscaler', () => {
    const hpa = decodeFixture('autoscale', '1.33', {apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler'})
    expect(hpa.apiVersion).toBe('autoscaling/v2')
    expect(hpa.spec).toEqual({
      scaleTargetRef: {kind: 'Deployment', name: 'web', apiVersion: 'apps/v1'},
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{type: 'Resource', resource: {name: 'cpu', target: {type: 'Utilization', averageUtilization: 80}}}],
    })
  })
})

/** A minimal protobuf writer for hand-built bodies. */
function varint(value: bigint | number): number[] {
  let v = BigInt.asUintN(64, BigInt(value))
  const out: number[] = []
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return out
}
const tag = (field: number, wireType: number): number[] => varint((field << 3) | wireType)
const num = (field: number, value: bigint | number): number[] => [...tag(field, 0), ...varint(value)]
const bytes = (field: number, payload: number[] | string): number[] => {
  const data = typeof payload === 'string' ? [...Buffer.from(payload)] : payload
  return [...tag(field, 2), ...varint(data.length), ...data]
}
const envelope = (apiVersion: string, kind: string, raw: number[]): Buffer =>
  Buffer.from([0x6b, 0x38, 0x73, 0x00, ...bytes(1, [...bytes(1, apiVersion), ...bytes(2, kind)]), ...bytes(2, raw), ...bytes(3, ''), ...bytes(4, '')])

const meta = (name: string): number[] => bytes(1, bytes(1, name))
const decode = (apiVersion: string, kind: string, raw: number[]): Obj => decodeProtobufObject(envelope(apiVersion, kind, raw), {apiVersion, kind}) as Obj

describe('wire rules', () => {
  // DeploymentSpec: replicas = 1 (int32 pointer), paused = 7 (bool value), minReadySeconds = 5 (int32 value).
  test.each([
    ['a negative int32 (ten-byte varint)', [...num(1, -1)], {replicas: -1}],
    ['a pointer at zero is kept', [...num(1, 0)], {replicas: 0}],
    ['a value at zero is left out (omitempty)', [...num(5, 0), ...num(7, 0)], {}],
    ['a value bool true is written', [...num(7, 1)], {paused: true}],
    ['the last of a repeated scalar wins', [...num(1, 2), ...num(1, 5)], {replicas: 5}],
    ['an unknown field number is skipped, whatever its wire type', [...num(99, 7), ...bytes(98, 'x'), ...tag(97, 5), 1, 2, 3, 4, ...tag(96, 1), 1, 2, 3, 4, 5, 6, 7, 8, ...tag(95, 3), ...num(1, 9), ...tag(95, 4), ...num(1, 4)], {replicas: 4}],
  ])('%s', (_title, spec, expected) => {
    const deployment = decode('apps/v1', 'Deployment', [...meta('d'), ...bytes(2, spec)])
    expect(deployment.spec).toEqual({...expected, template: {metadata: {creationTimestamp: null}, spec: {containers: null}}, strategy: {}})
  })

  test('a message field sent twice is merged; repeated messages append', () => {
    // PolicyRule verbs = 1 (repeated string); Role rules = 2.
    const role = decode('rbac.authorization.k8s.io/v1', 'Role', [...meta('r'), ...bytes(2, bytes(1, 'get')), ...bytes(2, bytes(1, 'list')), ...bytes(1, bytes(11, [...bytes(1, 'a'), ...bytes(2, '1')]))])
    expect(role.rules).toEqual([{verbs: ['get']}, {verbs: ['list']}])
    expect(role.metadata).toEqual({name: 'r', creationTimestamp: null, labels: {a: '1'}})
  })

  test('packed and unpacked repeated int32 both decode (PodFailurePolicy exit codes)', () => {
    const onExitCodes = (codes: number[]): number[] => [...bytes(2, 'In'), ...bytes(3, codes.flatMap((code) => varint(code)))]
    const unpacked = [...bytes(2, 'In'), ...num(3, 1), ...num(3, 42)]
    for (const requirement of [onExitCodes([1, 42]), unpacked]) {
      const job = decode('batch/v1', 'Job', [...meta('j'), ...bytes(2, bytes(11, bytes(1, [...bytes(1, 'FailJob'), ...bytes(2, requirement)])))])
      expect(job.spec.podFailurePolicy).toEqual({rules: [{action: 'FailJob', onExitCodes: {operator: 'In', values: [1, 42]}}]})
    }
  })

  test('map entries: keys sorted as Go writes them, a missing value is the zero value', () => {
    const configMap = decode('v1', 'ConfigMap', [...meta('c'), ...bytes(2, [...bytes(1, 'b'), ...bytes(2, 'x')]), ...bytes(2, bytes(1, 'a'))])
    expect(JSON.stringify(configMap.data)).toBe('{"a":"","b":"x"}')
  })

  test.each([
    ['whole seconds in UTC (nanos dropped, as metav1.Time does)', [...num(1, 1700000000), ...num(2, 999)], '2023-11-14T22:13:20Z'],
    ['the Unix epoch is a time', [...num(1, 0)], '1970-01-01T00:00:00Z'],
    ['an empty Timestamp is the zero time: null', [], null],
    ["Go's zero time written out is null too", [...num(1, -62135596800n)], null],
  ])('Time: %s', (_title, timestamp, expected) => {
    // ObjectMeta.deletionTimestamp = 9 (pointer: present means set).
    const namespace = decode('v1', 'Namespace', bytes(1, [...bytes(1, 'n'), ...bytes(9, timestamp)]))
    expect(namespace.metadata.deletionTimestamp).toBe(expected)
  })

  test.each([
    ['an int', [...num(1, 0), ...num(2, 8080)], 8080],
    ['a string', [...num(1, 1), ...bytes(3, 'http')], 'http'],
    ['an empty message is int 0', [], 0],
  ])('IntOrString: %s', (_title, value, expected) => {
    // ServicePort.targetPort = 4 inside ServiceSpec.ports = 1.
    const service = decode('v1', 'Service', [...meta('s'), ...bytes(2, bytes(1, [...num(3, 80), ...bytes(4, value)]))])
    expect(service.spec.ports[0].targetPort).toBe(expected)
  })
})

describe('errors carry the real decoder messages', () => {
  const prefix = [0x6b, 0x38, 0x73, 0x00]
  test.each([
    ['no bytes at all', [], 'empty data', false],
    ['JSON sent as protobuf', [...Buffer.from('{"kind":"ConfigMap"}')], 'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]', false],
    ['the prefix alone', prefix, 'empty body', false],
    ['a truncated envelope', [...prefix, 0x0a, 0x20, 0x0a], 'unexpected EOF', false],
    ['a truncated object', [...envelope('v1', 'ConfigMap', [0x0a, 0x05, 0x0a])], 'unexpected EOF', true],
    ['a wrong wire type', [...envelope('v1', 'ConfigMap', [...meta('c'), ...num(2, 1)])], 'proto: wrong wireType = 0 for field Data', true],
    ['a varint longer than 64 bits', [...envelope('v1', 'ConfigMap', [...tag(99, 0), ...Array(10).fill(0xff), 0x01])], 'proto: integer overflow', true],
    ['field number 0', [...envelope('v1', 'ConfigMap', [0x02, 0x00])], 'proto: ConfigMap: illegal tag 0 (wire type 2)', true],
    ['a kind no table describes', [...envelope('v1', 'Pod', meta('p'))], 'no kind "Pod" is registered for version "v1"', true],
    ['a malformed Quantity', [...envelope('v1', 'ResourceQuota', [...meta('q'), ...bytes(2, bytes(1, [...bytes(1, 'cpu'), ...bytes(2, bytes(1, 'lots'))]))])], "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", true],
  ])('%s', (_title, body, message, afterEnvelope) => {
    let error: unknown
    try {
      decodeProtobufObject(Buffer.from(body), {apiVersion: 'v1', kind: 'ConfigMap'})
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ProtobufDecodeError)
    expect((error as ProtobufDecodeError).message).toBe(message)
    expect((error as ProtobufDecodeError).kind !== undefined).toBe(afterEnvelope)
  })

  test('an envelope without apiVersion and kind takes the URL kind, as copyKindDefaults does', () => {
    const body = Buffer.from([0x6b, 0x38, 0x73, 0x00, ...bytes(2, meta('bare'))])
    expect(decodeProtobufObject(body, {apiVersion: 'v1', kind: 'ServiceAccount'})).toEqual({kind: 'ServiceAccount', apiVersion: 'v1', metadata: {name: 'bare', creationTimestamp: null}})
  })
})

describe('descriptor tables', () => {
  test('every table parses and every root kind has its message', () => {
    const registry = protobufRegistry()
    for (const root of Object.values(ROOT_MESSAGES)) expect(registry.has(root), root).toBe(true)
    expect(registry.size).toBeGreaterThan(200)
    expect(decodesProtobuf({apiVersion: 'apps/v1', kind: 'Deployment'})).toBe(true)
    expect(decodesProtobuf({apiVersion: 'mygate.dev/v1', kind: 'Widget'})).toBe(false)
  })

  test.each([
    ['an unknown message reference', {name: 'x', messages: {A: 'b=1:Missing'}}, 'x.A.b refers to unknown message x.Missing'],
    ['a field number used twice', {name: 'x', messages: {A: 'b=1 c=1'}}, 'x.A uses field number 1 twice'],
    ['an inlined scalar', {name: 'x', messages: {A: 'b=1:int32^'}}, 'x.A.b cannot be inlined'],
    ['a malformed field', {name: 'x', messages: {A: 'b:1'}}, 'cannot parse field "b:1" in package x'],
  ])('a table mistake fails loudly: %s', (_title, pkg, message) => {
    expect(() => buildRegistry([...PACKAGES, pkg])).toThrow(message)
  })
})
