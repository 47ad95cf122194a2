import {describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../src/kube/types.js'
import {cidrContains, connectionAllowed, type Connection, type PodPeer} from '../../../src/local-cluster/network/network-policy.js'

function policy(name: string, namespace: string, spec: Record<string, unknown>): KubeObject {
  return {apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: {name, namespace}, spec}
}

const namespaces: Record<string, Record<string, string>> = {
  'mygate-data': {'kubernetes.io/metadata.name': 'mygate-data'},
  mygate: {'kubernetes.io/metadata.name': 'mygate', team: 'apps'},
  'kube-system': {'kubernetes.io/metadata.name': 'kube-system'},
}
const labelsOf = (name: string): Record<string, string> | undefined => namespaces[name]

const mongo: PodPeer = {kind: 'pod', namespace: 'mygate-data', labels: {'app.kubernetes.io/name': 'visitors-db'}, ports: [{name: 'mongodb', containerPort: 27017}]}
const opsJob: PodPeer = {kind: 'pod', namespace: 'mygate-data', labels: {'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': 'visitors-db'}}
const backupJob: PodPeer = {kind: 'pod', namespace: 'mygate-data', labels: {'app.kubernetes.io/component': 'backup', 'mygate.dev/database': 'visitors-db'}}
const app: PodPeer = {kind: 'pod', namespace: 'mygate', labels: {'app.kubernetes.io/name': 'visitors'}}

const defaultDeny = policy('default-deny', 'mygate-data', {podSelector: {}, policyTypes: ['Ingress', 'Egress']})
const mongoPolicy = policy('visitors-db', 'mygate-data', {
  podSelector: {matchLabels: {'app.kubernetes.io/name': 'visitors-db'}},
  policyTypes: ['Ingress', 'Egress'],
  ingress: [
    {from: [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': 'mygate'}}, podSelector: {matchLabels: {'app.kubernetes.io/name': 'visitors'}}}], ports: [{protocol: 'TCP', port: 27017}]},
    {from: [{podSelector: {matchLabels: {'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': 'visitors-db'}}}], ports: [{port: 'mongodb'}]},
  ],
})
const opsEgress = policy('visitors-db-db-ops', 'mygate-data', {
  podSelector: {matchLabels: {'app.kubernetes.io/component': 'db-ops'}},
  policyTypes: ['Egress'],
  egress: [{to: [{podSelector: {matchLabels: {'app.kubernetes.io/name': 'visitors-db'}}}], ports: [{port: 27017}]}],
})
const storageEgress = policy('backup-storage', 'mygate-data', {
  podSelector: {matchLabels: {'app.kubernetes.io/component': 'backup'}},
  policyTypes: ['Egress'],
  egress: [{to: [{ipBlock: {cidr: '0.0.0.0/0', except: ['10.0.0.0/8']}}], ports: [{port: 443}]}],
})
const all = [defaultDeny, mongoPolicy, opsEgress, storageEgress]

const connect = (from: PodPeer, to: Connection['to'], port = 27017): Connection => ({from, to, port})

describe('connectionAllowed (Kubernetes NetworkPolicy semantics)', () => {
  test.each([
    ['no policy: everything goes', [], connect(backupJob, mongo), true],
    ['default deny isolates both ends', [defaultDeny], connect(opsJob, mongo), false],
    ['ops Job: egress rule and ingress rule with a named port', all, connect(opsJob, mongo), true],
    ['ops Job on another port', all, connect(opsJob, mongo, 27018), false],
    ['app from its namespace (namespaceSelector AND podSelector)', [mongoPolicy], connect(app, mongo), true],
    ['another app of that namespace', [mongoPolicy], connect({...app, labels: {'app.kubernetes.io/name': 'billing'}}, mongo), false],
    ['a podSelector alone means the policy namespace only', [mongoPolicy], connect({...opsJob, namespace: 'mygate'}, mongo), false],
    ['backup Job: egress admits storage but nothing admits it to mongod', all, connect(backupJob, mongo), false],
    ['backup Job to object storage on 443', all, connect(backupJob, {kind: 'external', ip: '52.95.110.1'}, 443), true],
    ['backup Job to an excepted range', all, connect(backupJob, {kind: 'external', ip: '10.1.2.3'}, 443), false],
    ['ipBlock never admits a pod', all, connect(backupJob, {...mongo, labels: {}}, 443), false],
    ['policyTypes absent: Ingress only (no egress isolation)', [policy('p', 'mygate-data', {podSelector: {}, ingress: [{}]})], connect(opsJob, mongo), true],
    ['an empty rule admits every peer and port', [defaultDeny, policy('open', 'mygate-data', {podSelector: {}, ingress: [{}], egress: [{}], policyTypes: ['Ingress', 'Egress']})], connect(opsJob, mongo), true],
  ] as Array<[string, KubeObject[], Connection, boolean]>)('%s', (_name, policies, connection, allowed) => {
    expect(connectionAllowed(policies, connection, labelsOf).allowed).toBe(allowed)
  })

  test('a refusal names the direction, the pods and the isolating policies', () => {
    const verdict = connectionAllowed(all, connect(backupJob, mongo), labelsOf)
    expect(verdict).toEqual({allowed: false, reason: expect.stringMatching(/egress isolated by default-deny, backup-storage|ingress isolated by default-deny, visitors-db/)})
  })

  test.each([
    ['10.10.0.0/16', '10.10.3.4', true],
    ['10.10.0.0/16', '10.11.0.1', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['169.254.169.254/32', '169.254.169.254', true],
    ['not-a-cidr', '1.2.3.4', false],
  ])('cidrContains(%s, %s) = %s', (cidr, ip, expected) => {
    expect(cidrContains(cidr, ip)).toBe(expected)
  })
})

describe('a connection from outside the cluster (another cluster\'s pod, seen by its or its load balancer\'s address)', () => {
  const crossRegion = policy('visitors-db-cross-region', 'mygate-data', {
    podSelector: {matchLabels: {'app.kubernetes.io/name': 'visitors-db'}},
    policyTypes: ['Ingress'],
    ingress: [{from: [{ipBlock: {cidr: '10.80.0.0/14', except: ['10.80.9.0/24']}}], ports: [{protocol: 'TCP', port: 27017}]}],
  })
  test.each([
    ['inside the admitted range, on the port', '10.80.5.9', 27017, true],
    ['inside the range but on another port', '10.80.5.9', 6379, false],
    ['in the range\'s exception', '10.80.9.4', 27017, false],
    ['outside the range', '10.64.5.9', 27017, false],
  ])('%s', (_what, ip, port, allowed) => {
    expect(connectionAllowed([...all, crossRegion], {from: {kind: 'external', ip}, to: mongo, port}, labelsOf).allowed).toBe(allowed)
  })
  test('only ipBlock admits it: a podSelector rule never matches an outside address, and the refusal names the address', () => {
    expect(connectionAllowed(all, {from: {kind: 'external', ip: '10.80.5.9'}, to: mongo, port: 27017}, labelsOf)).toEqual({
      allowed: false,
      reason: 'no NetworkPolicy in mygate-data lets 10.80.5.9 in to pod mygate-data/visitors-db port 27017 (ingress isolated by default-deny, visitors-db)',
    })
  })
})
