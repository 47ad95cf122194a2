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
  ])('%s may import a leaf or its own modules (%s)', async (file, line) => {
    expect(await lintAs(file, `${line}\nexport const used = 1\n`)).toEqual([])
  })

  test('the product side may import the local control plane', async () => {
    expect(await lintAs('src/providers/local/local-provider.ts', "import {localKubeconfig} from '../../local-cluster/daemon/kubeconfig.js'\n")).toEqual([])
  })
})
