import {describe, expect, test} from 'vitest'

import {formatLevelVersion, policyFromLabels} from '../../../../src/local-cluster/admission/pod-security/policy.js'
import {checkIds, evaluatePodSecurity, formatViolations, type PodSecurityLevel} from '../../../../src/local-cluster/admission/pod-security/standards.js'

/**
 * Expected texts are upstream's: the reasons and details of k8s.io/pod-security-admission
 * (policy/check_*.go), and the message the Kubernetes documentation shows for a bare nginx pod
 * in a restricted namespace (kubernetes.io/docs/tutorials/security/ns-level-pss/):
 *   would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "nginx" must set
 *   securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "nginx" must set
 *   securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "nginx" must set
 *   securityContext.runAsNonRoot=true), seccompProfile (pod or container "nginx" must set
 *   securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")
 */

type Obj = Record<string, unknown>
const c = (name: string, securityContext?: Obj, extra: Obj = {}): Obj => ({name, image: 'x', ...(securityContext ? {securityContext} : {}), ...extra})
const hardened = {allowPrivilegeEscalation: false, capabilities: {drop: ['ALL']}, runAsNonRoot: true, seccompProfile: {type: 'RuntimeDefault'}}
const check = (level: PodSecurityLevel, spec: Obj, version: number | 'latest' = 'latest', annotations?: Record<string, string>) =>
  formatViolations(evaluatePodSecurity(level, version, {annotations}, spec))

describe('evaluatePodSecurity', () => {
  test('a bare container at restricted:latest: the message of the Kubernetes documentation', () => {
    expect(check('restricted', {containers: [c('nginx')]})).toBe(
      'allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    )
  })

  test.each<[string, PodSecurityLevel, Obj, string]>([
    ['hardened containers pass restricted', 'restricted', {containers: [c('a', hardened)], initContainers: [c('init', hardened)]}, ''],
    ['pod-level runAsNonRoot and seccomp cover every container', 'restricted', {securityContext: {runAsNonRoot: true, seccompProfile: {type: 'Localhost'}}, containers: [c('a', {allowPrivilegeEscalation: false, capabilities: {drop: ['ALL'], add: ['NET_BIND_SERVICE']}})]}, ''],
    ['anything passes privileged', 'privileged', {hostNetwork: true, containers: [c('a', {privileged: true})]}, ''],
    ['a bare container passes baseline', 'baseline', {containers: [c('a')]}, ''],
    ['privileged container', 'baseline', {containers: [c('a', {privileged: true})]}, 'privileged (container "a" must not set securityContext.privileged=true)'],
    ['host namespaces', 'baseline', {hostNetwork: true, hostPID: true, containers: [c('a')]}, 'host namespaces (hostNetwork=true, hostPID=true)'],
    ['hostPath at baseline', 'baseline', {volumes: [{name: 'h', hostPath: {path: '/'}}], containers: [c('a')]}, 'hostPath volumes (volume "h")'],
    [
      'hostPath at restricted is a restricted volume type (the baseline check is replaced)',
      'restricted',
      {volumes: [{name: 'h', hostPath: {path: '/'}}, {name: 'n', nfs: {server: 's', path: '/'}}, {name: 't', emptyDir: {}}], containers: [c('a', hardened)]},
      'restricted volume types (volumes "h", "n" use restricted volume types "hostPath", "nfs")',
    ],
    ['host ports', 'baseline', {containers: [c('a', undefined, {ports: [{containerPort: 80, hostPort: 80}]}), c('b', undefined, {ports: [{containerPort: 1, hostPort: 8080}]})]}, 'hostPort (containers "a", "b" use hostPorts 80, 8080)'],
    ['non-default capabilities', 'baseline', {containers: [c('a', {capabilities: {add: ['SYS_ADMIN', 'CHOWN', 'NET_ADMIN']}})]}, 'non-default capabilities (container "a" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add)'],
    ['restricted capabilities: only NET_BIND_SERVICE may be added', 'restricted', {containers: [c('a', {...hardened, capabilities: {drop: ['ALL'], add: ['CHOWN']}})]}, 'unrestricted capabilities (container "a" must not include "CHOWN" in securityContext.capabilities.add)'],
    ['runAsUser=0 on the pod', 'restricted', {securityContext: {runAsUser: 0}, containers: [c('a', hardened)]}, 'runAsUser=0 (pod must not set runAsUser=0)'],
    ['runAsNonRoot=false on the pod and a container', 'restricted', {securityContext: {runAsNonRoot: false}, containers: [c('a', {...hardened, runAsNonRoot: false})]}, 'runAsNonRoot != true (pod and container "a" must not set securityContext.runAsNonRoot=false)'],
    ['Unconfined seccomp', 'baseline', {containers: [c('a', {seccompProfile: {type: 'Unconfined'}})]}, 'seccompProfile (container "a" must not set securityContext.seccompProfile.type to "Unconfined")'],
    ['forbidden sysctls', 'baseline', {securityContext: {sysctls: [{name: 'kernel.msgmax', value: '1'}, {name: 'net.ipv4.tcp_syncookies', value: '1'}]}, containers: [c('a')]}, 'forbidden sysctls (kernel.msgmax)'],
    ['SELinux user and type', 'baseline', {containers: [c('a', {seLinuxOptions: {type: 'spc_t', user: 'root'}})]}, 'seLinuxOptions (container "a" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)'],
    ['procMount Unmasked', 'baseline', {containers: [c('a', {procMount: 'Unmasked'})]}, 'procMount (container "a" must not set securityContext.procMount to "Unmasked")'],
    ['Windows hostProcess', 'baseline', {securityContext: {windowsOptions: {hostProcess: true}}, containers: [c('a')]}, 'hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)'],
    ['unconfined AppArmor', 'baseline', {containers: [c('a', {appArmorProfile: {type: 'Unconfined'}})]}, 'forbidden AppArmor profile (container "a" must not set AppArmor profile type to "Unconfined")'],
    ['init containers are named first', 'restricted', {initContainers: [c('init', {...hardened, allowPrivilegeEscalation: true})], containers: [c('app', {...hardened, allowPrivilegeEscalation: true})]}, 'allowPrivilegeEscalation != false (containers "init", "app" must set securityContext.allowPrivilegeEscalation=false)'],
    ['a Windows pod is exempt from the Linux-only restricted checks', 'restricted', {os: {name: 'windows'}, containers: [c('a')]}, 'runAsNonRoot != true (pod or container "a" must set securityContext.runAsNonRoot=true)'],
  ])('%s', (_, level, spec, expected) => {
    expect(check(level, spec)).toBe(expected)
  })

  test.each<[number | 'latest', boolean]>([
    [21, false],
    [22, true],
    ['latest', true],
    [99, true],
  ])('restricted capabilities apply from v1.22 (version %s: %s)', (version, applies) => {
    expect(check('restricted', {securityContext: {runAsNonRoot: true, seccompProfile: {type: 'RuntimeDefault'}}, containers: [c('a', {allowPrivilegeEscalation: false})]}, version).includes('unrestricted capabilities')).toBe(applies)
  })

  test('before v1.19 seccomp is read from annotations', () => {
    expect(check('baseline', {containers: [c('a')]}, 18, {'seccomp.security.alpha.kubernetes.io/pod': 'unconfined'})).toBe(
      'seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")',
    )
  })

  test('sysctls allowed per version (net.ipv4.tcp_keepalive_time from v1.29)', () => {
    const spec = {securityContext: {sysctls: [{name: 'net.ipv4.tcp_keepalive_time', value: '60'}]}, containers: [c('a')]}
    expect(check('baseline', spec, 28)).toBe('forbidden sysctls (net.ipv4.tcp_keepalive_time)')
    expect(check('baseline', spec, 29)).toBe('')
  })

  test('checks run baseline first, then restricted, each by id; restricted replaces three baseline checks', () => {
    expect(checkIds('restricted', 31)).toEqual([
      'appArmorProfile', 'hostNamespaces', 'hostPorts', 'privileged', 'procMount', 'seLinuxOptions', 'sysctls', 'windowsHostProcess',
      'allowPrivilegeEscalation', 'capabilities_restricted', 'restrictedVolumes', 'runAsNonRoot', 'runAsUser', 'seccompProfile_restricted',
    ])
    expect(checkIds('baseline', 31)).toEqual([
      'appArmorProfile', 'capabilities_baseline', 'hostNamespaces', 'hostPathVolumes', 'hostPorts', 'privileged', 'procMount', 'seLinuxOptions', 'seccompProfile_baseline', 'sysctls', 'windowsHostProcess',
    ])
  })
})

describe('policyFromLabels', () => {
  const p = 'pod-security.kubernetes.io/'
  test.each<[string, Record<string, string>, string, string]>([
    ['no labels: privileged', {}, 'privileged:latest', 'privileged:latest'],
    ['enforce alone: warn follows it', {[`${p}enforce`]: 'restricted', [`${p}enforce-version`]: 'v1.29'}, 'restricted:v1.29', 'restricted:v1.29'],
    ['warn set explicitly stays', {[`${p}enforce`]: 'restricted', [`${p}warn`]: 'baseline'}, 'restricted:latest', 'baseline:latest'],
    ['warn stricter than enforce', {[`${p}enforce`]: 'baseline', [`${p}warn`]: 'restricted', [`${p}warn-version`]: 'latest'}, 'baseline:latest', 'restricted:latest'],
  ])('%s', (_, labels, enforce, warn) => {
    const {policy, errors} = policyFromLabels(labels)
    expect(errors).toEqual([])
    expect(formatLevelVersion(policy.enforce)).toBe(enforce)
    expect(formatLevelVersion(policy.warn)).toBe(warn)
  })

  test('an invalid level is an error and enforces restricted (fail closed); an invalid warn level warns nothing', () => {
    const {policy, errors} = policyFromLabels({[`${p}enforce`]: 'strict', [`${p}warn`]: 'loud', [`${p}enforce-version`]: 'v2.0'})
    expect(errors).toEqual([
      {reason: 'FieldValueInvalid', field: 'metadata.labels[pod-security.kubernetes.io/enforce]', message: 'Invalid value: "strict": must be one of privileged, baseline, restricted'},
      {reason: 'FieldValueInvalid', field: 'metadata.labels[pod-security.kubernetes.io/enforce-version]', message: 'Invalid value: "v2.0": must be "latest" or "v1.x"'},
      {reason: 'FieldValueInvalid', field: 'metadata.labels[pod-security.kubernetes.io/warn]', message: 'Invalid value: "loud": must be one of privileged, baseline, restricted'},
    ])
    expect(formatLevelVersion(policy.enforce)).toBe('restricted:latest')
    expect(policy.warn.level).toBe('privileged')
  })
})
