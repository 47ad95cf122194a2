import {ESLint} from 'eslint'
import {describe, expect, test} from 'vitest'

// The local control plane stands alone: the ESLint rule in eslint.config.js refuses any import
// that climbs out of src/local-cluster/ to something other than a leaf module.
const eslint = new ESLint({cwd: process.cwd()})

async function lintAs(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, {filePath})
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

describe('src/local-cluster/ import boundary', () => {
  test.each([
    ['src/local-cluster/cluster.ts', "import {connectEnvironment} from '../env/connect.js'"],
    ['src/local-cluster/store/object-store.ts', "import {KubeClient} from '../../kube/client.js'"],
    ['src/local-cluster/api-server/ssa/field-set.ts', "import {renderEnvironment} from '../../../render/render-environment.js'"],
    // formats/ is open, its neighbours are not, and no path may climb back out through it.
    ['src/local-cluster/data-plane/dump.ts', "import {uploadBackup} from '../../backup/storage/store.js'"],
    ['src/local-cluster/data-plane/dump.ts', "import {connectEnvironment} from '../../formats/../env/connect.js'"],
  ])('%s may not import the product side (%s)', async (file, line) => {
    const messages = await lintAs(file, `${line}\nexport const used = 1\n`)
    expect(messages).toHaveLength(1)
    expect(messages[0]).toContain('src/local-cluster/ imports nothing from the product side')
  })

  test.each([
    ['src/local-cluster/store/object-store.ts', "import type {KubeObject} from '../../kube/types.js'"],
    ['src/local-cluster/daemon/lock.ts', "import {acquirePidLock} from '../../pid-lock.js'"],
    ['src/local-cluster/cluster.ts', "import {UsageError} from '../errors.js'"],
    ['src/local-cluster/store/persistence.ts', "import {parse} from './object-utils.js'"],
    ['src/local-cluster/data-plane/dump.ts', "import {encodeArchive} from '../../formats/mongo-archive/encode.js'"],
    ['src/local-cluster/kubelet/jobs/backup.ts', "import {openLocalBucket} from '../../../formats/local-object-store/bucket.js'"],
  ])('%s may import a leaf or its own modules (%s)', async (file, line) => {
    expect(await lintAs(file, `${line}\nexport const used = 1\n`)).toEqual([])
  })

  test.each([
    ['src/formats/mongo-archive/encode.ts', "import {OperationFailedError} from '../../errors.js'", []],
    ['src/formats/mongo-archive/encode.ts', "import {Crc64} from './crc64.js'", []],
    ['src/formats/local-object-store/bucket.ts', "import {writeFileAtomic} from '../../atomic-file.js'", []],
    ['src/formats/local-object-store/bucket.ts', "import {decodeArchive} from '../mongo-archive/decode.js'", []],
    ['src/formats/mongo-archive/encode.ts', "import {KubeClient} from '../../kube/client.js'", ['leaf folder']],
    ['src/formats/mongo-archive/encode.ts', "import {listBackups} from '../../backup/catalog/list.js'", ['leaf folder']],
    ['src/formats/hash.ts', "import {localPaths} from '../local-cluster/daemon/paths.js'", ['leaf folder']],
  ])('src/formats/ is a leaf too: %s with %s', async (file, line, expected) => {
    const messages = await lintAs(file, `${line}\nexport const used = 1\n`)
    expect(messages.map((m) => (m.includes('leaf folder') ? 'leaf folder' : m))).toEqual(expected)
  })

  test('the product side may import the local control plane', async () => {
    expect(await lintAs('src/providers/local/local-provider.ts', "import {localKubeconfig} from '../../local-cluster/daemon/kubeconfig.js'\n")).toEqual([])
  })
})
