import {mkdtemp, readFile, readdir, rm, writeFile, mkdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parseAllDocuments} from 'yaml'

import {loadCatalog} from '../../src/catalog/load-catalog.js'
import type {KubeObject} from '../../src/kube/types.js'
import {REPO_ROOT, parseEnvelope, runCli} from '../helpers/cli.js'

const BROKEN_TEMPLATES = join(REPO_ROOT, 'test/fixtures/templates/unknown-placeholder')

let scratch: string
let appNames: string[]

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mygate-render-cli-'))
  appNames = (await loadCatalog()).services.filter((s) => s.kind === 'app').map((s) => s.name)
})

afterAll(async () => {
  await rm(scratch, {recursive: true, force: true})
})

function yamlObjects(stdout: string): KubeObject[] {
  const docs = parseAllDocuments(stdout)
  if (!Array.isArray(docs)) throw new Error('no documents')
  for (const doc of docs) expect(doc.errors).toEqual([])
  return docs.map((doc) => doc.toJS() as KubeObject)
}

describe('mygate render', () => {
  it('prints parseable multi-document YAML with a Deployment per app service (default env dev)', async () => {
    const result = await runCli(['render'])
    expect(result.exitCode, result.stderr).toBe(0)
    const objects = yamlObjects(result.stdout)
    expect(objects[0]).toMatchObject({apiVersion: 'v1', kind: 'Namespace'})
    const deployments = objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)
    expect(deployments.sort()).toEqual([...appNames].sort())
    expect(objects.every((o) => o.metadata.labels?.['mygate.dev/environment'] === 'dev')).toBe(true)
    // Nothing but manifests on stdout: it goes straight into kubectl apply -f -.
    expect(result.stdout.startsWith('apiVersion: ')).toBe(true)
  })

  it('prints a v1 List with --output json, the same objects as the YAML', async () => {
    const [json, yaml] = await Promise.all([runCli(['render', '--env', 'prod', '--output', 'json']), runCli(['render', '--env', 'prod'])])
    expect(json.exitCode, json.stderr).toBe(0)
    const list = JSON.parse(json.stdout) as {apiVersion: string; kind: string; items: KubeObject[]}
    expect(list.apiVersion).toBe('v1')
    expect(list.kind).toBe('List')
    expect(list.items).toEqual(yamlObjects(yaml.stdout))
    // prod has the mesh on in the shipped mygate.yaml.
    expect(list.items.some((o) => o.kind === 'VirtualService')).toBe(true)
  })

  it('returns the objects in the --json envelope', async () => {
    const result = await runCli(['render', '--env', 'staging', '--service', 'billing', '--no-baseline', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const envelope = parseEnvelope<{ok: boolean; result: {env: string; objects: number; manifests: KubeObject[]; files?: string[]}}>(result.stdout)
    expect(envelope.ok).toBe(true)
    expect(envelope.result.env).toBe('staging')
    expect(envelope.result.objects).toBe(envelope.result.manifests.length)
    expect(envelope.result.files).toBeUndefined()
    expect(new Set(envelope.result.manifests.map((o) => o.metadata.name))).toEqual(new Set(['billing']))
    expect(envelope.result.manifests.map((o) => o.kind)).not.toContain('Namespace')
  })

  it('rejects --output xml with exit 2 and one line', async () => {
    const result = await runCli(['render', '--output', 'xml'])
    expect(result.exitCode).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/--output=xml.*yaml, json/)
  })

  it('fails with exit 3 for an unknown environment, naming it and the known ones', async () => {
    const result = await runCli(['render', '--env', 'nowhere'])
    expect(result.exitCode).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/unknown environment "nowhere".*dev, staging, prod/)
  })

  it('fails with exit 3 for an unknown service, listing the known ones', async () => {
    const result = await runCli(['render', '--service', 'auth', '--service', 'payroll'])
    expect(result.exitCode).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/unknown service "payroll".*gateway/)
  })

  it('writes one file per service plus the baseline with --out, and replaces its own output', async () => {
    const out = join(scratch, 'rendered')
    const first = await runCli(['render', '--env', 'dev', '--out', out, '--json'])
    expect(first.exitCode, first.stderr).toBe(0)
    const envelope = parseEnvelope<{result: {env: string; objects: number; files: string[]; dir: string}}>(first.stdout)
    expect(envelope.result.dir).toBe(out)
    expect(envelope.result.files[0]).toBe('00-baseline.yaml')
    expect(envelope.result.files).toHaveLength(1 + (await loadCatalog()).services.length)
    expect((await readdir(out)).sort()).toEqual(['.mygate-render', ...envelope.result.files].sort())
    const billing = yamlObjects(await readFile(join(out, 'billing.yaml'), 'utf8'))
    expect(billing.map((o) => o.kind)).toContain('Deployment')
    const total = (await Promise.all(envelope.result.files.map(async (f) => yamlObjects(await readFile(join(out, f), 'utf8')).length))).reduce((a, b) => a + b, 0)
    expect(total).toBe(envelope.result.objects)

    const second = await runCli(['render', '--env', 'dev', '--service', 'auth', '--out', out])
    expect(second.exitCode, second.stderr).toBe(0)
    expect((await readdir(out)).sort()).toEqual(['.mygate-render', '00-baseline.yaml', 'auth.yaml'])
    // No temporary directories left beside the target.
    expect(await readdir(scratch)).toEqual(['rendered'])
  })

  it('refuses to replace a directory it did not write', async () => {
    const mine = join(scratch, 'not-a-render')
    await mkdir(mine)
    await writeFile(join(mine, 'notes.txt'), 'keep me')
    const result = await runCli(['render', '--out', mine])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain(mine)
    expect(await readdir(mine)).toEqual(['notes.txt'])
    await rm(mine, {recursive: true})
  })

  it('fails with exit 2 naming the path when --out cannot be written', async () => {
    const file = join(scratch, 'plain-file')
    await writeFile(file, 'x')
    const target = join(file, 'out')
    const result = await runCli(['render', '--out', target])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain(`--out ${target}`)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    await rm(file)
  })

  it('writes nothing into --out when rendering fails (MYGATE_TEMPLATES_DIR with an unknown placeholder)', async () => {
    const parent = join(scratch, 'failing')
    await mkdir(parent)
    const out = join(parent, 'out')
    const result = await runCli(['render', '--out', out], {env: {MYGATE_TEMPLATES_DIR: BROKEN_TEMPLATES}})
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/unknown-placeholder\/app\/service\.yaml:13: unknown placeholder \$\{servce\.port\}/)
    expect(await readdir(parent)).toEqual([])

    // An earlier good render in the same place survives a failing one untouched.
    const good = await runCli(['render', '--out', out])
    expect(good.exitCode, good.stderr).toBe(0)
    const before = (await readdir(out)).sort()
    const again = await runCli(['render', '--out', out, '--service', 'auth'], {env: {MYGATE_TEMPLATES_DIR: BROKEN_TEMPLATES}})
    expect(again.exitCode).toBe(2)
    expect((await readdir(out)).sort()).toEqual(before)
    expect(await readdir(parent)).toEqual(['out'])
  })
})
