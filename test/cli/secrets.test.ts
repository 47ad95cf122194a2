import {CreateSecretCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'
import {createHash} from 'node:crypto'
import {mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {type CliOptions, type CliResult, expectOneLineError, parseEnvelope, REPO_ROOT} from '../helpers/cli.js'
import {runKubectl} from '../helpers/kubectl.js'
import {createLocalEnvironment, createLocalHome, type LocalHome} from '../helpers/local-home.js'
import {type MotoServer, startMoto} from '../helpers/moto.js'

/**
 * `mygate secrets` and the secrets step of `env create`, through the built CLI, checked with real
 * kubectl. Tests read Secret values from the cluster into memory only to compare them (as hashes,
 * so a failing assertion prints no value either).
 */

const EXTERNAL = ['fcm', 'payment-gateway', 'reports-bucket', 'sms-provider', 'smtp']
const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16)

/** The keys of a Secret, as kubectl prints them with a template that never prints a value. */
async function secretKeys(kubeconfig: string, name: string, namespace = 'mygate', context?: string): Promise<string[]> {
  const run = await runKubectl([...(context ? ['--context', context] : []), 'get', 'secret', name, '-n', namespace, '-o', 'go-template={{range $k, $v := .data}}{{$k}} {{end}}'], {kubeconfig})
  expect(run.exitCode, run.stderr).toBe(0)
  return run.stdout.trim().split(' ').filter(Boolean).sort()
}

/** One value, base64 as stored, for comparisons and the leak scan; never printed. */
async function storedValue(kubeconfig: string, name: string, key: string, namespace = 'mygate', context?: string): Promise<string> {
  const run = await runKubectl([...(context ? ['--context', context] : []), 'get', 'secret', name, '-n', namespace, '-o', `jsonpath={.data.${key.replaceAll('.', '\\.')}}`], {kubeconfig})
  expect(run.exitCode, run.stderr).toBe(0)
  return run.stdout
}

async function annotations(kubeconfig: string, kind: string, name: string, namespace: string, path = '.metadata.annotations'): Promise<Record<string, string>> {
  const run = await runKubectl(['get', kind, name, '-n', namespace, '-o', `jsonpath={${path}}`], {kubeconfig})
  expect(run.exitCode, run.stderr).toBe(0)
  return run.stdout ? (JSON.parse(run.stdout) as Record<string, string>) : {}
}

/** Every file under a directory, except the local control plane's own object store (the cluster's etcd). */
function filesUnder(dir: string, skip: string): string[] {
  const files: string[] = []
  const walk = (path: string) => {
    for (const entry of readdirSync(path)) {
      const full = join(path, entry)
      if (full === skip) continue
      if (statSync(full).isDirectory()) walk(full)
      else files.push(full)
    }
  }
  walk(dir)
  return files
}

describe('dev tier: placeholders, set from stdin, a file and AWS Secrets Manager, restarts, list, delete, and no value anywhere', () => {
  let local: LocalHome
  let kubeconfig: string
  let moto: MotoServer
  let awsEnv: Record<string, string>
  /** Everything the CLI printed in this suite, for the leak scan. */
  const transcript: string[] = []
  const known = {
    keyId: 'rzp_live_KNOWNVALUE_key_1a2b3c',
    keySecret: 'sk_live_KNOWNVALUE_secret_9z8y7x',
    webhook: 'whsec_KNOWNVALUE_hook_77aa',
    fcm: '{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\nKNOWNVALUE-fcm-key-material\\n-----END PRIVATE KEY-----\\n"}\n',
    sms: 'sms_KNOWNVALUE_from_aws_secrets_manager_42',
  }
  let smsArn = ''

  const cli = async (args: string[], options: CliOptions = {}): Promise<CliResult> => {
    const result = await local.cli(args, {...options, env: {...awsEnv, ...options.env}})
    transcript.push(result.stdout, result.stderr)
    return result
  }

  beforeAll(async () => {
    moto = await startMoto()
    awsEnv = {AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'ap-south-1'}
    const client = new SecretsManagerClient({region: 'ap-south-1', endpoint: moto.endpoint, credentials: moto.credentials})
    smsArn = (await client.send(new CreateSecretCommand({Name: 'mygate/sms', SecretString: JSON.stringify({'api-key': known.sms})}))).ARN!
    client.destroy()
    ;({local, kubeconfig} = await createLocalEnvironment('demo'))
  })
  afterAll(async () => {
    await local?.cleanup()
    await moto?.stop()
  })

  test('env create on dev writes marked placeholders for external secrets and generated ones once; every service is ready', async () => {
    const gateway = await annotations(kubeconfig, 'secret', 'payment-gateway', 'mygate')
    expect(gateway).toMatchObject({'mygate.dev/placeholder': 'true', 'mygate.dev/placeholder-keys': 'key-id,key-secret,webhook-secret', 'mygate.dev/secret-source': 'external'})
    expect(Buffer.from(await storedValue(kubeconfig, 'payment-gateway', 'key-id'), 'base64').toString()).toBe('mygate-placeholder: payment-gateway/key-id is not set (mygate secrets set payment-gateway --env demo)')
    expect(await secretKeys(kubeconfig, 'billing-db-credentials', 'mygate-data')).toEqual(['replica-set-key', 'root-password', 'root-username'])
    expect(await secretKeys(kubeconfig, 'billing-db-credentials', 'mygate')).toEqual(['uri'])
    const type = await runKubectl(['get', 'secret', 'redis-auth', '-n', 'mygate-data', '-o', 'jsonpath={.type} {.metadata.labels.app\\.kubernetes\\.io/managed-by}'], {kubeconfig})
    expect(type.stdout).toBe('Opaque mygate')
    const managers = await runKubectl(['get', 'secret', 'redis-auth', '-n', 'mygate-data', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}/{.metadata.managedFields[*].operation}'], {kubeconfig})
    expect(managers.stdout).toBe('mygate/Apply')
    // A re-run keeps every generated value.
    const before = sha(await storedValue(kubeconfig, 'billing-db-credentials', 'replica-set-key', 'mygate-data'))
    const again = await cli(['env', 'create', 'demo', '--json'])
    expect(again.exitCode, again.stderr).toBe(0)
    expect(parseEnvelope<{result: {changed: boolean; secrets: {generated: unknown[]; changes: unknown[]}}}>(again.stdout).result).toMatchObject({changed: false, secrets: {generated: [], changes: []}})
    expect(sha(await storedValue(kubeconfig, 'billing-db-credentials', 'replica-set-key', 'mygate-data'))).toBe(before)
  })

  test('set from stdin replaces the placeholders and restarts billing, the service that reads them', async () => {
    const restartedBefore = (await annotations(kubeconfig, 'deployment', 'billing', 'mygate', '.spec.template.metadata.annotations'))['kubectl.kubernetes.io/restartedAt']
    const set = await cli(['secrets', 'set', 'payment-gateway', '--env', 'demo'], {input: `key-id=${known.keyId}\nkey-secret=${known.keySecret}\nwebhook-secret=${known.webhook}\n`})
    expect(set.exitCode, set.stderr).toBe(0)
    expect(set.stdout).toContain('Restarted: billing (local-1).')
    expect(set.stdout).toContain('Result: SUCCESS — payment-gateway set; restarted billing.')
    const restartedAt = (await annotations(kubeconfig, 'deployment', 'billing', 'mygate', '.spec.template.metadata.annotations'))['kubectl.kubernetes.io/restartedAt']
    expect(restartedAt).toBeTruthy()
    expect(restartedAt).not.toBe(restartedBefore)
    const rollout = await runKubectl(['rollout', 'status', 'deployment/billing', '-n', 'mygate', '--timeout=20s'], {kubeconfig})
    expect(rollout.exitCode, rollout.stderr).toBe(0)
    const gateway = await annotations(kubeconfig, 'secret', 'payment-gateway', 'mygate')
    expect(gateway['mygate.dev/placeholder']).toBeUndefined()
    expect(gateway['mygate.dev/secret-source']).toBe('external')
    expect(sha(Buffer.from(await storedValue(kubeconfig, 'payment-gateway', 'key-secret'), 'base64').toString())).toBe(sha(known.keySecret))
  })

  test('set --key from a file keeps the bytes; set --from-aws-secret copies from Secrets Manager and records the ARN', async () => {
    // Outside $MYGATE_HOME: the leak scan reads every file there.
    const file = join(mkdtempSync(join(tmpdir(), 'mygate-fcm-')), 'fcm.json')
    writeFileSync(file, known.fcm)
    const fcm = await cli(['secrets', 'set', 'fcm', '--env', 'demo', '--key', 'service-account.json', '--from-file', file])
    expect(fcm.exitCode, fcm.stderr).toBe(0)
    expect(fcm.stdout).toContain('Restarted: notifications (local-1).')
    expect(sha(Buffer.from(await storedValue(kubeconfig, 'fcm', 'service-account.json'), 'base64').toString())).toBe(sha(known.fcm))

    const sms = await cli(['secrets', 'set', 'sms-provider', '--env', 'demo', '--from-aws-secret', 'mygate/sms', '--json'])
    expect(sms.exitCode, sms.stderr).toBe(0)
    const result = parseEnvelope<{result: {source: string; reference: string; restarted: Array<{service: string}>}}>(sms.stdout).result
    expect(result.source).toBe('reference')
    expect(result.reference).toBe(smsArn)
    expect(result.restarted.map((r) => r.service).sort()).toEqual(['auth', 'notifications'])
    expect(await annotations(kubeconfig, 'secret', 'sms-provider', 'mygate')).toMatchObject({'mygate.dev/secret-source': 'reference', 'mygate.dev/secret-reference': smsArn})
    expect(sha(Buffer.from(await storedValue(kubeconfig, 'sms-provider', 'api-key'), 'base64').toString())).toBe(sha(known.sms))

    const missing = await cli(['secrets', 'set', 'smtp', '--env', 'demo', '--key', 'password', '--from-aws-secret', 'mygate/does-not-exist', '--verbose'])
    expect(missing.exitCode).toBe(3)
    expect(missing.stderr).toContain('Error: AWS Secrets Manager has no secret "mygate/does-not-exist" in ap-south-1')
  })

  test('list shows names, keys, source and age; --json has the documented shape', async () => {
    const list = await cli(['secrets', 'list', '--env', 'demo', '--json'])
    expect(list.exitCode, list.stderr).toBe(0)
    const secrets = parseEnvelope<{result: {environment: string; secrets: Array<{name: string; class: string; source: string; keys: string[]; placeholderKeys: string[]; readers: string[]; regions: string[]; createdAt: string}>}}>(
      list.stdout,
    ).result.secrets
    const byName = Object.fromEntries(secrets.map((s) => [s.name, s]))
    expect(Object.keys(byName)).toEqual(expect.arrayContaining([...EXTERNAL, 'billing-db-credentials', 'redis-auth', 'auth-jwt']))
    expect(byName['billing-db-credentials']).toMatchObject({class: 'generated', source: 'generated', keys: ['replica-set-key', 'root-password', 'root-username', 'uri'], readers: ['billing', 'billing-db'], regions: ['local-1']})
    expect(byName['reports-bucket']).toMatchObject({class: 'external', source: 'placeholder', placeholderKeys: ['credentials.json']})
    expect(Date.parse(byName['redis-auth'].createdAt)).toBeLessThanOrEqual(Date.now())
    const human = await cli(['secrets', 'list', '--env', 'demo'])
    expect(human.stdout.split('\n')[0]).toMatch(/^NAME\s+SOURCE\s+KEYS\s+AGE\s+READ BY$/)
    expect(human.stdout).toMatch(/^reports-bucket\s+placeholder\s+credentials\.json\*\s+\d+[smh]\s+reports$/m)
  })

  test.each([
    ['a value as an argument', ['secrets', 'set', 'smtp', '--env', 'demo', 'KNOWNVALUE-on-argv'], undefined, 2, 'Error: values are never taken from the command line'],
    ['a value as --value', ['secrets', 'set', 'smtp', '--env', 'demo', '--value=KNOWNVALUE-on-argv'], undefined, 2, 'Error: values are never taken from the command line'],
    ['a value as an unknown flag', ['secrets', 'set', 'smtp', '--env', 'demo', '--password=KNOWNVALUE-on-argv'], undefined, 2, 'Error: unknown flag --password (its value is not shown)'],
    ['an unknown environment', ['secrets', 'set', 'smtp', '--env', 'nope', '--key', 'password'], 'smtp-KNOWNVALUE-x\n', 3, 'Error: environment "nope" not found'],
    ['a key that is not a valid Secret key', ['secrets', 'set', 'smtp', '--env', 'demo', '--key', 'pass word'], 'smtp-KNOWNVALUE-x\n', 2, 'Error: "pass word" is not a valid Secret key'],
    ['a key no service reads', ['secrets', 'set', 'smtp', '--env', 'demo'], 'passwd=smtp-KNOWNVALUE-x\n', 2, 'Error: Secret smtp has no key "passwd" that a service reads: expected one of password'],
    ['an empty value', ['secrets', 'set', 'smtp', '--env', 'demo', '--key', 'password'], '\n', 2, 'Error: the value for smtp/password from standard input is empty'],
    ['a generated secret', ['secrets', 'set', 'redis-auth', '--env', 'demo', '--key', 'password'], 'KNOWNVALUE-redis\n', 2, 'Error: Secret redis-auth is generated by mygate'],
  ])('bad input: %s is one line with its exit code, nothing changed', async (_what, args, input, exitCode, message) => {
    const version = async () => (await runKubectl(['get', 'secret', 'smtp', 'redis-auth', '-n', 'mygate', '-o', 'jsonpath={.items[*].metadata.resourceVersion}'], {kubeconfig})).stdout
    const before = await version()
    const run = await cli(args, {input})
    expect(run.exitCode).toBe(exitCode)
    expect(expectOneLineError(run)).toContain(message)
    expect(run.stderr).not.toContain('KNOWNVALUE')
    expect(await version()).toBe(before)
  })

  test('delete removes every copy; the next env create brings a placeholder back on dev', async () => {
    const refused = await cli(['secrets', 'delete', 'reports-bucket', '--env', 'demo'])
    expect(refused.exitCode).toBe(2)
    expect(expectOneLineError(refused)).toContain('deleting external Secret reports-bucket from environment demo needs confirmation, and there is no terminal to ask in')
    const deleted = await cli(['secrets', 'delete', 'reports-bucket', '--env', 'demo', '--yes', '--json'])
    expect(deleted.exitCode, deleted.stderr).toBe(0)
    expect(parseEnvelope<{result: {deleted: unknown[]; readers: string[]}}>(deleted.stdout).result).toEqual(
      expect.objectContaining({deleted: [{region: 'local-1', namespace: 'mygate'}], readers: ['reports']}),
    )
    const gone = await runKubectl(['get', 'secret', 'reports-bucket', '-n', 'mygate'], {kubeconfig})
    expect(gone.stderr).toContain('secrets "reports-bucket" not found')
    const create = await cli(['env', 'create', 'demo'])
    expect(create.exitCode, create.stderr).toBe(0)
    expect(await annotations(kubeconfig, 'secret', 'reports-bucket', 'mygate')).toMatchObject({'mygate.dev/placeholder': 'true'})
  })

  test('no value appears in anything the CLI printed or wrote: stdout, stderr, --json, DEBUG=* and --verbose output, $MYGATE_HOME, audit entries', async () => {
    // Make sure the values are set whatever ran before, then exercise every path once more with tracing on.
    const debug = {env: {DEBUG: '*'}}
    expect((await cli(['secrets', 'set', 'payment-gateway', '--env', 'demo', '--verbose'], {...debug, input: `key-id=${known.keyId}\nkey-secret=${known.keySecret}\nwebhook-secret=${known.webhook}\n`})).exitCode).toBe(0)
    expect((await cli(['secrets', 'set', 'sms-provider', '--env', 'demo', '--from-aws-secret', smsArn], debug)).exitCode).toBe(0)
    const fcmFile = join(mkdtempSync(join(tmpdir(), 'mygate-fcm-')), 'fcm.json')
    writeFileSync(fcmFile, known.fcm)
    expect((await cli(['secrets', 'set', 'fcm', '--env', 'demo', '--key', 'service-account.json', '--from-file', fcmFile], debug)).exitCode).toBe(0)
    expect((await cli(['secrets', 'delete', 'smtp', '--env', 'demo', '--yes'], debug)).exitCode).toBe(0)
    expect((await cli(['secrets', 'list', '--env', 'demo', '--json'], debug)).exitCode).toBe(0)
    expect((await cli(['env', 'create', 'demo', '--json', '--verbose'], debug)).exitCode).toBe(0)
    // env create never overwrites a value a user set.
    expect(sha(Buffer.from(await storedValue(kubeconfig, 'payment-gateway', 'key-id'), 'base64').toString())).toBe(sha(known.keyId))
    expect((await cli(['env', 'describe', 'demo', '--json'], debug)).exitCode).toBe(0)
    expect((await cli(['secrets', 'set', 'smtp', '--env', 'demo', '--key', 'nope', '--verbose'], {...debug, input: 'KNOWNVALUE-smtp\n'})).exitCode).toBe(2)
    expect(transcript.join('').length).toBeGreaterThan(10_000)

    const generated = [
      await storedValue(kubeconfig, 'billing-db-credentials', 'root-password', 'mygate-data'),
      await storedValue(kubeconfig, 'billing-db-credentials', 'replica-set-key', 'mygate-data'),
      await storedValue(kubeconfig, 'billing-db-credentials', 'uri'),
      await storedValue(kubeconfig, 'redis-auth', 'password'),
      await storedValue(kubeconfig, 'auth-jwt', 'private.pem'),
    ].map((b64) => Buffer.from(b64, 'base64').toString())
    const values = [...Object.values(known), ...generated]
    const needles = values.flatMap((v) => [v, Buffer.from(v).toString('base64'), JSON.stringify(v).slice(1, -1)])

    // What the CLI wrote under $MYGATE_HOME; the cluster's own object store (local/clusters, the
    // etcd of the local control plane) holds Secrets by definition, as a real cluster's etcd does.
    const written = filesUnder(local.home, join(local.home, 'local', 'clusters')).map((file) => ({file: relative(local.home, file), text: readFileSync(file, 'latin1')}))
    expect(written.map((w) => w.file)).toEqual(expect.arrayContaining(['kubeconfig/demo.yaml', 'local/daemon.log']))
    // mygate's records in the cluster: the audit trail and the environment record.
    const records = await runKubectl(['get', 'configmaps', '-n', 'mygate-system', '-o', 'json'], {kubeconfig})
    const audit = JSON.parse(JSON.parse(records.stdout).items.find((c: {metadata: {name: string}}) => c.metadata.name === 'mygate-secrets-audit').data['entries.json']) as Array<{secret: string; action: string; keys: string[]}>
    expect(audit.map((e) => `${e.action} ${e.secret}`)).toEqual(expect.arrayContaining(['set payment-gateway', 'set fcm', 'set sms-provider', 'delete smtp']))
    expect(audit.find((e) => e.secret === 'payment-gateway')?.keys).toEqual(['key-id', 'key-secret', 'webhook-secret'])

    const haystacks = [{file: 'CLI output', text: transcript.join('\n')}, ...written, {file: 'mygate-system ConfigMaps', text: records.stdout}]
    for (const {file, text} of haystacks) {
      expect(text.includes('KNOWNVALUE'), `a known value in ${file}`).toBe(false)
      const leaked = needles.filter((needle) => text.includes(needle)).map(sha)
      expect(leaked, `values (sha256 shown) in ${file}`).toEqual([])
    }
  }, 180_000)

  // Late in this environment: it leaves users-db with three members. (It had an environment of
  // its own; no secret set above restarts users or visitors, whose restart annotations it reads.)
  test('a topology change: users-db grows from 1 to 3 members: users gets a new uri and is restarted; the credentials stay', async () => {
    const catalog = mkdtempSync(join(tmpdir(), 'mygate-services-'))
    // Descriptors only (services/flags/ holds the bundled flags, read from the package).
    for (const file of readdirSync(join(REPO_ROOT, 'services')).filter((name) => name.endsWith('.yaml'))) {
      const text = readFileSync(join(REPO_ROOT, 'services', file), 'utf8')
      writeFileSync(join(catalog, file), file === 'users-db.yaml' ? text.replace(/( {2}dev:\n {4}replicas:) 1/, '$1 3') : text)
    }
    expect(readFileSync(join(catalog, 'users-db.yaml'), 'utf8')).toMatch(/ {2}dev:\n {4}replicas: 3/)
    const password = sha(await storedValue(kubeconfig, 'users-db-credentials', 'root-password', 'mygate-data'))
    const uriBefore = sha(await storedValue(kubeconfig, 'users-db-credentials', 'uri'))

    const run = await local.cli(['env', 'create', 'demo', '--json'], {env: {MYGATE_SERVICES_DIR: catalog}, timeoutMs: 120_000})
    expect(run.exitCode, run.stderr).toBe(0)
    const result = parseEnvelope<{result: {secrets: {changes: unknown[]}; restarted: Array<{service: string; verdict: string}>}}>(run.stdout).result
    expect(result.secrets.changes).toEqual([{region: 'local-1', namespace: 'mygate', secret: 'users-db-credentials', key: 'uri', readers: ['users']}])
    expect(result.restarted.map((r) => `${r.service} ${r.verdict}`)).toEqual(['users succeeded'])
    expect(sha(await storedValue(kubeconfig, 'users-db-credentials', 'uri'))).not.toBe(uriBefore)
    expect(Buffer.from(await storedValue(kubeconfig, 'users-db-credentials', 'uri'), 'base64').toString()).toContain(',users-db-2.users-db.mygate-data.svc.cluster.local:27017/users?')
    expect(sha(await storedValue(kubeconfig, 'users-db-credentials', 'root-password', 'mygate-data'))).toBe(password)
    expect((await annotations(kubeconfig, 'deployment', 'users', 'mygate', '.spec.template.metadata.annotations'))['kubectl.kubernetes.io/restartedAt']).toBeTruthy()
    expect((await annotations(kubeconfig, 'deployment', 'visitors', 'mygate', '.spec.template.metadata.annotations'))['kubectl.kubernetes.io/restartedAt']).toBeUndefined()

    // The restart annotation belongs to its own patch: re-applying the manifests keeps it, and changes nothing.
    const again = await local.cli(['env', 'create', 'demo', '--json'], {env: {MYGATE_SERVICES_DIR: catalog}})
    expect(again.exitCode, again.stderr).toBe(0)
    expect(parseEnvelope<{result: {changed: boolean; restarted: unknown[]}}>(again.stdout).result).toMatchObject({changed: false, restarted: []})
  }, 180_000)

  // The last two: they stop the local control plane and leave the environment record unreadable.
  // (They had an environment of their own.)
  test('env create never mistakes an unreadable record for a new environment: an unreachable cluster stops it with the cause; the record survives', async () => {
    const createdAt = parseEnvelope<{result: {createdAt: string}}>((await local.cli(['env', 'describe', 'demo', '--json'])).stdout).result.createdAt
    expect((await local.cli(['local', 'stop'])).exitCode).toBe(0)
    const run = await local.cli(['env', 'create', 'demo'])
    expect(run.exitCode).toBe(4)
    expect(expectOneLineError(run)).toMatch(/^Error: .*cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) \(start the local control plane with `mygate local start`\)$/)
    expect((await local.cli(['local', 'start'])).exitCode).toBe(0)
    const after = parseEnvelope<{result: {createdAt: string}}>((await local.cli(['env', 'describe', 'demo', '--json'])).stdout).result
    expect(after.createdAt).toBe(createdAt)
  }, 120_000)

  test('env create never mistakes an unreadable record for a new environment: a record that does not parse stops it and is left as it was', async () => {
    const patch = await runKubectl(['patch', 'configmap', 'mygate-environment', '-n', 'mygate-system', '--type', 'merge', '-p', '{"data":{"environment.json":"{not json"}}'], {kubeconfig})
    expect(patch.exitCode, patch.stderr).toBe(0)
    const run = await local.cli(['env', 'create', 'demo'])
    expect(run.exitCode).toBe(4)
    expect(expectOneLineError(run)).toContain('Error: the environment record mygate-system/mygate-environment is malformed or from a newer mygate')
    const record = await runKubectl(['get', 'configmap', 'mygate-environment', '-n', 'mygate-system', '-o', 'jsonpath={.data.environment\\.json}'], {kubeconfig})
    expect(record.stdout).toBe('{not json')
  }, 120_000)
})

describe('staging tier: services wait for the external secrets', () => {
  let local: LocalHome
  let kubeconfig: string

  beforeAll(() => {
    local = createLocalHome()
    kubeconfig = join(local.home, 'kubeconfig', 'stg.yaml')
  })
  afterAll(async () => {
    await local.cleanup()
  })

  test('env create refuses to apply services and names every missing secret with its command; after secrets set it becomes ready', async () => {
    const refused = await local.cli(['env', 'create', 'stg', '--tier', 'staging'])
    expect(refused.exitCode).toBe(2)
    const line = refused.stderr.trimEnd().split('\n').at(-1) ?? ''
    expect(line).toMatch(/^Error: environment stg \(tier staging\) is missing 5 external secrets, so no service was applied: fcm \(service-account\.json; read by notifications\), payment-gateway \(key-id, key-secret, webhook-secret; read by billing\), /)
    for (const name of EXTERNAL) expect(line).toContain(`\`mygate secrets set ${name} --env stg`)
    const deployments = await runKubectl(['get', 'deployments,statefulsets', '-A', '-o', 'name'], {kubeconfig})
    expect(deployments.stdout.trim()).toBe('')
    // The generated ones are already there; no external one exists, not even as a placeholder.
    expect(await secretKeys(kubeconfig, 'redis-auth', 'mygate-data')).toEqual(['password'])
    const external = await runKubectl(['get', 'secrets', '-n', 'mygate', '-o', 'name'], {kubeconfig})
    for (const name of EXTERNAL) expect(external.stdout).not.toContain(`secret/${name}\n`)

    const values: Record<string, string> = {
      fcm: 'service-account.json=KNOWN-fcm\n',
      'payment-gateway': 'key-id=KNOWN-1\nkey-secret=KNOWN-2\nwebhook-secret=KNOWN-3\n',
      'reports-bucket': 'credentials.json=KNOWN-rb\n',
      'sms-provider': 'api-key=KNOWN-sms\n',
      smtp: 'password=KNOWN-smtp\n',
    }
    for (const [name, input] of Object.entries(values)) {
      const set = await local.cli(['secrets', 'set', name, '--env', 'stg'], {input})
      expect(set.exitCode, set.stderr).toBe(0)
      // Nothing runs yet, so nothing is restarted.
      expect(set.stdout).toContain('nothing restarted')
    }

    const created = await local.cli(['env', 'create', 'stg', '--tier', 'staging', '--json'], {timeoutMs: 120_000})
    expect(created.exitCode, created.stderr).toBe(0)
    const result = parseEnvelope<{result: {services: Array<{verdict: string}>; secrets: {missing: unknown[]}}}>(created.stdout).result
    expect(result.secrets.missing).toEqual([])
    expect(result.services.length).toBe(18)
    expect(result.services.every((s) => s.verdict === 'succeeded')).toBe(true)
    expect(await secretKeys(kubeconfig, 'payment-gateway')).toEqual(['key-id', 'key-secret', 'webhook-secret'])
    expect(await secretKeys(kubeconfig, 'fcm')).toEqual(['service-account.json'])
    for (const name of ['reports-bucket', 'sms-provider', 'smtp']) expect((await secretKeys(kubeconfig, name)).length).toBe(1)
    const billing = await runKubectl(['get', 'deployment', 'billing', '-n', 'mygate', '-o', 'jsonpath={.status.readyReplicas}/{.spec.replicas}'], {kubeconfig})
    expect(billing.stdout).toBe('2/2')
  }, 180_000)

  test('prod: deleting a generated secret needs --confirm NAME without a terminal', async () => {
    const create = await local.cli(['env', 'create', 'live', '--tier', 'prod'])
    // Prod refuses services without the external secrets, but the generated ones exist.
    expect(create.exitCode).toBe(2)
    const live = join(local.home, 'kubeconfig', 'live.yaml')
    expect(await secretKeys(live, 'billing-db-credentials', 'mygate-data')).toEqual(['replica-set-key', 'root-password', 'root-username'])
    const refused = await local.cli(['secrets', 'delete', 'billing-db-credentials', '--env', 'live', '--yes'])
    expect(refused.exitCode).toBe(2)
    expect(expectOneLineError(refused)).toBe(
      'Error: --yes alone is not enough for deleting generated Secret billing-db-credentials from environment live: it is a prod-tier environment (pass --yes --confirm live)',
    )
    expect(await secretKeys(live, 'billing-db-credentials', 'mygate-data')).toEqual(['replica-set-key', 'root-password', 'root-username'])
    const wrong = await local.cli(['secrets', 'delete', 'billing-db-credentials', '--env', 'live', '--yes', '--confirm', 'stg'])
    expect(expectOneLineError(wrong)).toBe('Error: --confirm "stg" does not match "live" (pass --confirm live)')
    const deleted = await local.cli(['secrets', 'delete', 'billing-db-credentials', '--env', 'live', '--yes', '--confirm', 'live'])
    expect(deleted.exitCode, deleted.stderr).toBe(0)
    const gone = await runKubectl(['get', 'secret', 'billing-db-credentials', '-n', 'mygate-data'], {kubeconfig: live})
    expect(gone.stderr).toContain('not found')
  }, 120_000)
})

describe('two regions: one value everywhere', () => {
  let local: LocalHome
  let kubeconfig: string
  let contexts: Record<string, string>

  beforeAll(async () => {
    ;({local, kubeconfig} = await createLocalEnvironment('duo', ['--region', 'west', '--secondary-region', 'east']))
    const describe = parseEnvelope<{result: {regions: Array<{region: string; context: string}>}}>((await local.cli(['env', 'describe', 'duo', '--json'])).stdout)
    contexts = Object.fromEntries(describe.result.regions.map((r) => [r.region, r.context]))
  })
  afterAll(async () => {
    await local.cleanup()
  })

  test('generated values are identical in both regions and in both namespaces; set writes every region', async () => {
    for (const [name, key, namespace] of [['billing-db-credentials', 'replica-set-key', 'mygate-data'], ['auth-jwt', 'private.pem', 'mygate'], ['redis-auth', 'password', 'mygate']]) {
      const west = sha(await storedValue(kubeconfig, name, key, namespace, contexts.west))
      expect(sha(await storedValue(kubeconfig, name, key, namespace, contexts.east)), `${name}/${key}`).toBe(west)
    }
    expect(sha(await storedValue(kubeconfig, 'redis-auth', 'password', 'mygate-data', contexts.east))).toBe(sha(await storedValue(kubeconfig, 'redis-auth', 'password', 'mygate', contexts.west)))
    const set = await local.cli(['secrets', 'set', 'smtp', '--env', 'duo', '--key', 'password', '--json'], {input: 'smtp-two-regions\n'})
    expect(set.exitCode, set.stderr).toBe(0)
    const result = parseEnvelope<{result: {copies: Array<{region: string; action: string}>; restarted: Array<{service: string; region: string}>}}>(set.stdout).result
    expect(result.copies.map((c) => `${c.region} ${c.action}`).sort()).toEqual(['east configured', 'west configured'])
    expect(result.restarted.map((r) => `${r.service} ${r.region}`).sort()).toEqual(['notifications east', 'notifications west'])
    for (const context of [contexts.west, contexts.east]) {
      expect(Buffer.from(await storedValue(kubeconfig, 'smtp', 'password', 'mygate', context), 'base64').toString()).toBe('smtp-two-regions')
    }
  })
})
