import {execa} from 'execa'
import {appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, describe, expect, test} from 'vitest'

import {createObjectStore} from '../../../../src/local-cluster/store/object-store.js'

const configmaps = {group: '', resource: 'configmaps'}
const REPO_ROOT = fileURLToPath(new URL('../../../..', import.meta.url))
const STORE_MODULE = join(REPO_ROOT, 'src/local-cluster/store/object-store.ts')
const dirs: string[] = []

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mygate-store-'))
  dirs.push(dir)
  return dir
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})

/**
 * A child process writes `count` ConfigMaps, waits for flush() (the acknowledgement point),
 * prints ACK and then keeps writing without waiting until we SIGKILL it.
 */
async function writeThenKill(stateFile: string, count: number): Promise<void> {
  const script = `
    import {createObjectStore} from ${JSON.stringify(STORE_MODULE)}
    const store = createObjectStore({stateFile: ${JSON.stringify(stateFile)}, compactEvery: 40})
    for (let i = 0; i < ${count}; i++) {
      store.create({group: '', resource: 'configmaps'}, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm-' + i, namespace: 'default'}, data: {i: String(i)}})
      if (i % 7 === 0) await store.flush()
    }
    await store.flush()
    process.stdout.write('ACK\\n')
    let j = 0
    setInterval(() => store.create({group: '', resource: 'configmaps'}, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'late-' + j++, namespace: 'default'}}), 1)
  `
  const scriptFile = join(tempDir(), 'writer.mts')
  writeFileSync(scriptFile, script)
  const child = execa(process.execPath, ['--import', 'tsx', scriptFile], {cwd: REPO_ROOT, reject: false})
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ACK')) setTimeout(resolve, 30)
    })
    child.on('exit', (code) => reject(new Error(`writer exited early with ${code}: ${child.stderr}`)))
  })
  child.kill('SIGKILL')
  await child
}

describe('store persistence', () => {
  test('close() then reopen keeps every object, resourceVersion and uid', async () => {
    const stateFile = join(tempDir(), 'state.json')
    const store = createObjectStore({stateFile})
    const created = store.create(configmaps, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'keep', namespace: 'default'}, data: {a: '1'}})
    await store.close()
    const reopened = createObjectStore({stateFile})
    expect(reopened.get(configmaps, 'default', 'keep')).toEqual(created)
    expect(reopened.resourceVersion()).toBe(created.metadata.resourceVersion)
    expect(reopened.create(configmaps, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'next', namespace: 'default'}}).metadata.resourceVersion).toBe(
      String(Number(created.metadata.resourceVersion) + 1),
    )
    await reopened.close()
  })

  test('a second store on the same state file in a live process is refused', async () => {
    const stateFile = join(tempDir(), 'state.json')
    const store = createObjectStore({stateFile})
    expect(() => createObjectStore({stateFile})).toThrow(/already open/)
    await store.close()
  })

  test('SIGKILL after acknowledgement loses nothing; a torn log tail and a damaged snapshot still load', async () => {
    const stateFile = join(tempDir(), 'state.json')
    await writeThenKill(stateFile, 100)
    // The kill may have torn the last record; add an explicitly torn one too.
    appendFileSync(`${stateFile}.wal`, '1234abcd\t{"rv": 99999, "op": "put", "t": "/configm')
    const store = createObjectStore({stateFile})
    for (let i = 0; i < 100; i++) expect(store.get(configmaps, 'default', `cm-${i}`)?.data).toEqual({i: String(i)})
    expect(store.loadWarnings.join('\n')).toMatch(/torn record/)
    expect(store.resourceVersion()).not.toBe('99999')
    await store.close()

    // Damage the newest snapshot: the previous one loads instead, without a crash.
    const again = createObjectStore({stateFile})
    again.create(configmaps, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'after', namespace: 'default'}})
    await again.close()
    expect(existsSync(`${stateFile}.prev`)).toBe(true)
    writeFileSync(stateFile, readFileSync(stateFile, 'utf8').slice(0, 100))
    const recovered = createObjectStore({stateFile})
    expect(recovered.loadWarnings.join('\n')).toMatch(/damaged/)
    expect(recovered.get(configmaps, 'default', 'cm-99')).toBeDefined()
    await recovered.close()
  })

  test('garbage in every file still starts an empty, working store', async () => {
    const stateFile = join(tempDir(), 'state.json')
    writeFileSync(stateFile, '\u0000\u0001not json')
    writeFileSync(`${stateFile}.wal`, 'garbage\n\n{}\n')
    const store = createObjectStore({stateFile})
    expect(store.get({group: '', resource: 'namespaces'}, undefined, 'default')).toBeDefined()
    store.create(configmaps, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'works', namespace: 'default'}})
    await store.flush()
    await store.close()
    expect(createObjectStore({stateFile}).get(configmaps, 'default', 'works')).toBeDefined()
  })
})
